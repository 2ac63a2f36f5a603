using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Store.Rows;
using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Worker.Api;

/// <summary>A template's scheduling policy as the API reads it; every field optional (absent = default on create, unchanged on PATCH).</summary>
public record TemplatePolicyRequest
{
    public long? DefaultTtlMs { get; init; }

    public long? ActivityBumpMs { get; init; }

    public bool? AllowUserAutostart { get; init; }

    public bool? AllowUserAutostop { get; init; }

    /// <summary>Weekday names on which autostart may happen.</summary>
    public IReadOnlyList<string>? AutostartAllowedDays { get; init; }

    public AutostopRequirementRequest? AutostopRequirement { get; init; }

    public long? FailureTtlMs { get; init; }

    public long? TimeTilDormantMs { get; init; }

    public long? TimeTilDormantAutodeleteMs { get; init; }

    public long? TimeTilAutostopNotifyMs { get; init; }

    public bool? RequireActiveVersion { get; init; }

    public long? BootstrapTimeoutMs { get; init; }

    /// <summary>Non-empty: deprecated with this message; empty: not deprecated.</summary>
    public string? Deprecated { get; init; }

    public string? DisplayName { get; init; }
}

/// <summary>"Stop at least on these days, every N weeks" (in the owner's quiet-hours zone).</summary>
public sealed record AutostopRequirementRequest(IReadOnlyList<string>? DaysOfWeek, int? Weeks);

/// <summary>Body of <c>POST /api/v1/templates</c>.</summary>
public sealed record TemplateCreateRequest : TemplatePolicyRequest
{
    public Guid? OrganizationId { get; init; }

    public string? Name { get; init; }

    public string? ProviderName { get; init; }
}

/// <summary>Body of <c>PATCH /api/v1/templates/{id}</c>.</summary>
public sealed record TemplatePatchRequest : TemplatePolicyRequest
{
    public string? Name { get; init; }

    /// <summary>True soft-deletes the template (its prebuilds are drained); a deleted template cannot be restored.</summary>
    public bool? Deleted { get; init; }

    /// <summary>Switch the active version to one of the template's versions.</summary>
    public Guid? ActiveVersionId { get; init; }
}

/// <summary>Templates: <c>POST /api/v1/templates</c>, <c>GET|PATCH /api/v1/templates/{id}</c>.</summary>
public static class TemplatesEndpoints
{
    private static readonly TimeSpan LongestThreshold = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LongestBootstrap = TimeSpan.FromDays(7);

    public static RouteGroupBuilder MapTemplates(this RouteGroupBuilder api)
    {
        api.MapPost("/templates", async (HttpRequest request, TemplateCatalog templates, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<TemplateCreateRequest>(request, cancellationToken);
            var template = ApplyPolicy(body, new TemplateRow
            {
                OrganizationId = ApiFields.Required(body.OrganizationId, "organization_id"),
                Name = ApiFields.Name(body.Name, "name"),
                ProviderName = Provider(body.ProviderName, services.GetService<ProviderCatalog>()),
            });
            var created = await templates.CreateAsync(template, cancellationToken);
            return ApiJson.Created($"/api/v1/templates/{created.Id}", View(created, []));
        });

        api.MapGet("/templates/{id}", async (string id, TemplateCatalog templates, CancellationToken cancellationToken) =>
        {
            var templateId = ApiFields.Id(id);
            var found = await templates.GetAsync(templateId, cancellationToken) ?? throw new CatalogNotFoundException($"template {templateId} not found");
            return ApiJson.Ok(View(found.Template, found.Versions));
        });

        api.MapMethods("/templates/{id}", [HttpMethods.Patch], async (
            string id, HttpRequest request, TemplateCatalog templates, IWorkspaceFanout fanout, ILogger<TemplatePolicyRequest> logger, CancellationToken cancellationToken) =>
        {
            var templateId = ApiFields.Id(id);
            var body = await ApiJson.ReadAsync<TemplatePatchRequest>(request, cancellationToken);
            if (body.Deleted == false)
                throw new CatalogInputException("deleted", "a template can only be deleted (true); a deleted template cannot be restored");
            var change = await templates.UpdateAsync(templateId, current => ApplyPolicy(body, current) with
            {
                Name = body.Name is null ? current.Name : ApiFields.Name(body.Name, "name"),
                Deleted = body.Deleted ?? current.Deleted,
                ActiveVersionId = body.ActiveVersionId ?? current.ActiveVersionId,
            }, cancellationToken);

            // After the commit: the workflows re-read the template, so they must not be told before it is durable.
            if (change.Before with { UpdatedAt = default } != change.After with { UpdatedAt = default })
            {
                try
                {
                    await fanout.TemplatePolicyChangedAsync(templateId, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "template {TemplateId}: policy change committed but its workspaces could not be listed for the template-policy-changed signal", templateId);
                }
            }
            var found = await templates.GetAsync(templateId, cancellationToken);
            return ApiJson.Ok(View(change.After, found?.Versions ?? []));
        });

        return api;
    }

    /// <summary>The request's policy fields over <paramref name="row"/>, checked as a whole by the lifecycle's own validation.</summary>
    public static TemplateRow ApplyPolicy(TemplatePolicyRequest body, TemplateRow row)
    {
        var updated = row with
        {
            DisplayName = body.DisplayName?.Trim() ?? row.DisplayName,
            Deprecated = body.Deprecated?.Trim() ?? row.Deprecated,
            RequireActiveVersion = body.RequireActiveVersion ?? row.RequireActiveVersion,
            AllowUserAutostart = body.AllowUserAutostart ?? row.AllowUserAutostart,
            AllowUserAutostop = body.AllowUserAutostop ?? row.AllowUserAutostop,
            DefaultTtl = Duration(body.DefaultTtlMs, "default_ttl_ms", LifecycleConstants.MaximumTtl, row.DefaultTtl),
            ActivityBump = Duration(body.ActivityBumpMs, "activity_bump_ms", LifecycleConstants.MaximumTtl, row.ActivityBump),
            FailureTtl = Duration(body.FailureTtlMs, "failure_ttl_ms", LongestThreshold, row.FailureTtl),
            TimeTilDormant = Duration(body.TimeTilDormantMs, "time_til_dormant_ms", LongestThreshold, row.TimeTilDormant),
            TimeTilDormantAutodelete = Duration(body.TimeTilDormantAutodeleteMs, "time_til_dormant_autodelete_ms", LongestThreshold, row.TimeTilDormantAutodelete),
            TimeTilAutostopNotify = Duration(body.TimeTilAutostopNotifyMs, "time_til_autostop_notify_ms", LifecycleConstants.MaximumTtl, row.TimeTilAutostopNotify),
            BootstrapTimeout = body.BootstrapTimeoutMs is { } bootstrap
                ? ApiFields.Milliseconds(bootstrap, "bootstrap_timeout_ms", LongestBootstrap, TimeSpan.FromSeconds(1))
                : row.BootstrapTimeout,
            AutostartAllowedDays = body.AutostartAllowedDays is null ? row.AutostartAllowedDays : (short)ApiFields.Days(body.AutostartAllowedDays, "autostart_allowed_days"),
        };
        if (body.AutostopRequirement is { } requirement)
        {
            updated = updated with
            {
                AutostopRequirementDaysOfWeek = requirement.DaysOfWeek is null
                    ? row.AutostopRequirementDaysOfWeek
                    : (short)ApiFields.Days(requirement.DaysOfWeek, "autostop_requirement.days_of_week"),
                AutostopRequirementWeeks = requirement.Weeks is { } weeks
                    ? (short)(weeks is >= 1 and <= 16 ? weeks : throw new CatalogInputException("autostop_requirement.weeks", $"must be between 1 and 16, got {weeks}"))
                    : row.AutostopRequirementWeeks,
            };
        }

        if (TemplatePolicyValidation.Problems(Policy(updated)) is [var first, ..])
        {
            var field = first.Split(':', 2)[0];
            var apiField = field is "autostart_allowed_days" || field.Contains('.', StringComparison.Ordinal) ? field : $"{field}_ms";
            throw new CatalogInputException(apiField, first.Split(": ", 2)[^1]);
        }
        return updated;
    }

    /// <summary>The lifecycle rules' view of a stored template policy.</summary>
    public static TemplateSchedulePolicy Policy(TemplateRow row) => new()
    {
        DefaultTtl = row.DefaultTtl,
        ActivityBump = row.ActivityBump,
        AllowUserAutostart = row.AllowUserAutostart,
        AllowUserAutostop = row.AllowUserAutostop,
        AutostartAllowedDays = (Weekdays)row.AutostartAllowedDays,
        AutostopRequirement = new AutostopRequirement((Weekdays)row.AutostopRequirementDaysOfWeek, row.AutostopRequirementWeeks),
        FailureTtl = row.FailureTtl,
        TimeTilDormant = row.TimeTilDormant,
        TimeTilDormantAutodelete = row.TimeTilDormantAutodelete,
        TimeTilAutostopNotify = row.TimeTilAutostopNotify,
        RequireActiveVersion = row.RequireActiveVersion,
    };

    public static object View(TemplateRow t, IReadOnlyList<TemplateVersionRow> versions) => new
    {
        t.Id,
        t.OrganizationId,
        t.Name,
        t.DisplayName,
        t.ProviderName,
        t.ActiveVersionId,
        t.Deleted,
        t.Deprecated,
        t.RequireActiveVersion,
        DefaultTtlMs = ApiFields.Ms(t.DefaultTtl),
        ActivityBumpMs = ApiFields.Ms(t.ActivityBump),
        t.AllowUserAutostart,
        t.AllowUserAutostop,
        AutostartAllowedDays = ApiFields.DayList(t.AutostartAllowedDays),
        AutostopRequirement = new { DaysOfWeek = ApiFields.DayList(t.AutostopRequirementDaysOfWeek), Weeks = (int)t.AutostopRequirementWeeks },
        FailureTtlMs = ApiFields.Ms(t.FailureTtl),
        TimeTilDormantMs = ApiFields.Ms(t.TimeTilDormant),
        TimeTilDormantAutodeleteMs = ApiFields.Ms(t.TimeTilDormantAutodelete),
        TimeTilAutostopNotifyMs = ApiFields.Ms(t.TimeTilAutostopNotify),
        BootstrapTimeoutMs = ApiFields.Ms(t.BootstrapTimeout),
        t.CreatedAt,
        t.UpdatedAt,
        Versions = versions.Select(v => new { v.Id, v.Name, v.Message, Active = v.Id == t.ActiveVersionId, v.CreatedAt }),
    };

    private static TimeSpan Duration(long? ms, string field, TimeSpan max, TimeSpan current) =>
        ms is { } value ? ApiFields.Milliseconds(value, field, max) : current;

    private static string Provider(string? name, ProviderCatalog? providers)
    {
        var provider = ApiFields.Name(name, "provider_name");
        if (providers is not null && !providers.Names.Contains(provider, StringComparer.Ordinal))
            throw new CatalogInputException("provider_name", $"unknown provider \"{provider}\" (configured: {string.Join(", ", providers.Names)})");
        return provider;
    }
}
