using System.Text.Json;
using Lifecycle.Activities.Catalog;
using Lifecycle.Workflows.Prebuilds;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/templates/{id}/versions</c>.</summary>
public sealed record TemplateVersionRequest
{
    public string? Name { get; init; }

    public string? Message { get; init; }

    public string? ProviderImage { get; init; }

    public string? ProviderFlavor { get; init; }

    /// <summary>A JSON object passed to the provider untouched.</summary>
    public JsonElement? ProviderExtraSpecs { get; init; }

    /// <summary>Make the new version the active one (a template's first version always is).</summary>
    public bool Activate { get; init; }

    public IReadOnlyList<PresetRequest>? Presets { get; init; }
}

/// <summary>A preset of a new version.</summary>
public sealed record PresetRequest
{
    public string? Name { get; init; }

    /// <summary>Prebuilds to keep ready; absent or null = the preset has no prebuilds.</summary>
    public int? DesiredInstances { get; init; }

    public IReadOnlyDictionary<string, string>? Parameters { get; init; }

    /// <summary>Prebuild TTL in seconds; 0 = never expire.</summary>
    public int? InvalidateAfterSecs { get; init; }

    /// <summary>IANA zone the prebuild schedules are read in.</summary>
    public string? SchedulingTimezone { get; init; }

    public IReadOnlyList<PrebuildScheduleRequest>? PrebuildSchedules { get; init; }

    /// <summary>
    /// Spec B16: overrides the scheduled target, e.g. <c>hour &gt;= 9 &amp;&amp; hour &lt; 18 ? 5 : 1</c>; needs
    /// <c>desired_instances</c> and a valid <c>scheduling_timezone</c>. Must parse; an evaluation error at a pass falls
    /// back to the scheduled target.
    /// </summary>
    public string? TargetExpression { get; init; }
}

/// <summary>While the cron range covers now, want this many prebuilds (e.g. <c>* 9-18 * * 1-5</c>).</summary>
public sealed record PrebuildScheduleRequest(string? CronExpression, int? DesiredInstances);

/// <summary>Template versions and their presets: <c>POST /api/v1/templates/{id}/versions</c>.</summary>
public static class TemplateVersionsEndpoints
{
    /// <summary>The most prebuilds one preset may ask for (a typo such as 10000 is refused rather than provisioned).</summary>
    public const int MaximumDesiredInstances = 1000;

    public static RouteGroupBuilder MapTemplateVersions(this RouteGroupBuilder api)
    {
        api.MapPost("/templates/{id}/versions", async (string id, HttpRequest request, TemplateCatalog templates, CancellationToken cancellationToken) =>
        {
            var templateId = ApiFields.Id(id);
            var body = await ApiJson.ReadAsync<TemplateVersionRequest>(request, cancellationToken);
            var version = Validate(body);
            var created = await templates.CreateVersionAsync(templateId, version, cancellationToken);
            return ApiJson.Created($"/api/v1/templates/{templateId}", new
            {
                created.Version.Id,
                created.Version.TemplateId,
                created.Version.Name,
                created.Version.Message,
                created.Version.ProviderImage,
                created.Version.ProviderFlavor,
                ProviderExtraSpecs = JsonDocument.Parse(created.Version.ProviderExtraSpecs).RootElement,
                Active = created.Activated,
                created.Version.CreatedAt,
                Presets = created.Presets.Select(PresetsEndpoints.ConfigView),
            });
        });
        return api;
    }

    /// <summary>Checks every field of a new version; the first problem is a 400 naming its field.</summary>
    public static NewTemplateVersion Validate(TemplateVersionRequest body)
    {
        var extraSpecs = "{}";
        if (body.ProviderExtraSpecs is { } specs)
        {
            extraSpecs = specs.ValueKind == JsonValueKind.Object
                ? specs.GetRawText()
                : throw new CatalogInputException("provider_extra_specs", $"must be a JSON object, got {specs.ValueKind.ToString().ToLowerInvariant()}");
        }
        var presets = new List<NewPreset>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var requested = body.Presets ?? [];
        for (var i = 0; i < requested.Count; i++)
        {
            var preset = Validate(requested[i] ?? throw new CatalogInputException($"presets[{i}]", "must be an object"), $"presets[{i}]");
            if (!names.Add(preset.Name))
                throw new CatalogInputException($"presets[{i}].name", $"\"{preset.Name}\" is used by an earlier preset of this version");
            presets.Add(preset);
        }
        return new NewTemplateVersion
        {
            Name = ApiFields.Name(body.Name, "name"),
            Message = body.Message ?? "",
            ProviderImage = body.ProviderImage ?? "",
            ProviderFlavor = body.ProviderFlavor ?? "",
            ProviderExtraSpecs = extraSpecs,
            Activate = body.Activate,
            Presets = presets,
        };
    }

    private static NewPreset Validate(PresetRequest preset, string prefix)
    {
        var name = ApiFields.Name(preset.Name, $"{prefix}.name");
        if (preset.DesiredInstances is < 0 or > MaximumDesiredInstances)
            throw new CatalogInputException($"{prefix}.desired_instances", $"must be between 0 and {MaximumDesiredInstances}, got {preset.DesiredInstances}");
        if (preset.InvalidateAfterSecs is < 0)
            throw new CatalogInputException($"{prefix}.invalidate_after_secs", $"must not be negative, got {preset.InvalidateAfterSecs}");
        foreach (var (parameter, value) in preset.Parameters ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(parameter))
                throw new CatalogInputException($"{prefix}.parameters", "a parameter name must not be blank");
            if (value is null)
                throw new CatalogInputException($"{prefix}.parameters.{parameter}", "must be a string, got null");
        }

        var requested = preset.PrebuildSchedules ?? [];
        var schedules = new List<PrebuildSchedule>(requested.Count);
        for (var i = 0; i < requested.Count; i++)
        {
            var schedule = requested[i] ?? throw new CatalogInputException($"{prefix}.prebuild_schedules[{i}]", "must be an object");
            schedules.Add(new PrebuildSchedule
            {
                PresetId = Guid.Empty,
                CronExpression = schedule.CronExpression ?? throw new CatalogInputException($"{prefix}.prebuild_schedules[{i}].cron_expression", "is required"),
                DesiredInstances = ApiFields.Required(schedule.DesiredInstances, $"{prefix}.prebuild_schedules[{i}].desired_instances"),
            });
            if (schedules[i].DesiredInstances > MaximumDesiredInstances)
                throw new CatalogInputException($"{prefix}.prebuild_schedules[{i}].desired_instances", $"must be between 0 and {MaximumDesiredInstances}, got {schedules[i].DesiredInstances}");
        }

        var zone = preset.SchedulingTimezone?.Trim() ?? "";
        if (schedules.Count > 0 || zone.Length > 0)
        {
            // The reconciler's own parser: what it would refuse at a pass is refused here, where it enters.
            try
            {
                PrebuildScheduleTable.Parse(zone, schedules);
            }
            catch (PrebuildScheduleException e)
            {
                throw new CatalogInputException($"{prefix}.{e.Field}", e.Problem);
            }
        }

        string? expression = null;
        if (preset.TargetExpression is { } text)
        {
            // Only what cannot parse, or cannot be read without a zone, is refused; what fails when evaluated is
            // stored and falls back at each pass (as Coder does), its error shown on the preset.
            var field = $"{prefix}.target_expression";
            var parsed = TargetExpression.Parse(text);
            if (parsed.Error is { } error)
                throw new CatalogInputException(field, error.Message);
            if (preset.DesiredInstances is null)
                throw new CatalogInputException(field, $"needs {prefix}.desired_instances: a preset without prebuilds has no target to override");
            if (PrebuildTarget.ExpressionTimeZoneProblem(zone) is { } zoneProblem)
                throw new CatalogInputException(field, zoneProblem.Replace("scheduling_timezone", $"{prefix}.scheduling_timezone", StringComparison.Ordinal));
            expression = text;
        }

        return new NewPreset
        {
            Name = name,
            TargetExpression = expression,
            DesiredInstances = preset.DesiredInstances,
            InvalidateAfterSecs = preset.InvalidateAfterSecs ?? 0,
            SchedulingTimezone = zone,
            Parameters = preset.Parameters ?? new Dictionary<string, string>(),
            Schedules = [.. schedules.Select(s => new NewPrebuildSchedule(s.CronExpression.Trim(), s.DesiredInstances))],
        };
    }
}
