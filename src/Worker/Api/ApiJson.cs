using System.Text.Json;
using System.Text.Json.Serialization;
using Lifecycle.Activities.Catalog;

namespace Lifecycle.Worker.Api;

/// <summary>The body of every error answer: what is wrong and, when one input is at fault, which field.</summary>
public sealed record ApiError(string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field = null);

/// <summary>
/// JSON conventions of the HTTP API: snake_case names in both directions, unknown request fields refused (a typo is an
/// error, not a silently ignored setting), durations as integer milliseconds in <c>*_ms</c> fields, times as RFC 3339
/// UTC, enumerations as their snake_case stored text.
/// </summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>
    /// Reads the request body as <typeparamref name="T"/>; malformed JSON, a wrong type or an unknown field is a
    /// <see cref="CatalogInputException"/> naming the field (from the JSON path), so it becomes a 400.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken)
                ?? throw new CatalogInputException("body", "must be a JSON object, got null");
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }
    }

    /// <summary>
    /// Like <see cref="ReadAsync{T}"/> for routes whose body is optional: an empty (or all-whitespace) body is
    /// <paramref name="empty"/>; anything else must be a valid <typeparamref name="T"/>.
    /// </summary>
    public static async Task<T> ReadOptionalAsync<T>(HttpRequest request, T empty, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.GetBuffer().AsSpan(0, (int)buffer.Length).Trim(" \t\r\n"u8).IsEmpty)
            return empty;
        buffer.Position = 0;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(buffer, Options, cancellationToken)
                ?? throw new CatalogInputException("body", "must be a JSON object, got null");
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }
    }

    public static IResult Ok(object value) => Results.Json(value, Options);

    public static IResult Created(string location, object value) =>
        new CreatedJson(location, Results.Json(value, Options, statusCode: StatusCodes.Status201Created));

    public static IResult Problem(int statusCode, string error, string? field = null) =>
        Results.Json(new ApiError(error, field), Options, statusCode: statusCode);

    /// <summary>The answer for a refused write: 400 for bad input, 404 for a missing resource, 409 for a conflict.</summary>
    public static IResult ForException(CatalogException e) => e switch
    {
        CatalogNotFoundException => Problem(StatusCodes.Status404NotFound, e.Message),
        CatalogConflictException => Problem(StatusCodes.Status409Conflict, e.Message, e.Field),
        _ => Problem(StatusCodes.Status400BadRequest, e.Message, e.Field),
    };

    private static CatalogInputException Malformed(JsonException e) =>
        new(FieldOf(e.Path), $"malformed JSON: {e.Message.Split(" Path:", 2)[0]}");

    // "$.presets[0].desired_instances" -> "presets[0].desired_instances"; the whole body when the path is the root.
    private static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>A JSON answer with a Location header.</summary>
    private sealed class CreatedJson(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
