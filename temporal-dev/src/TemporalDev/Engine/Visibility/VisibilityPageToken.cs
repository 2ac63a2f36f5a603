using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using TemporalDev.Query.Evaluation;

namespace TemporalDev.Engine.Visibility;

/// <summary>
/// A list page token: the sort values of the last record returned (its ORDER BY values, close time, start time and
/// run id), so the next page starts right after it even when runs start or close in between.
/// </summary>
public sealed class VisibilityPageToken : IVisibilityRecord
{
    private readonly Dictionary<string, object?> values;

    private VisibilityPageToken(Dictionary<string, object?> values) => this.values = values;

    public object? GetValue(string searchAttribute) => values.GetValueOrDefault(searchAttribute);

    /// <summary>Writes the token for the page that ends with <paramref name="last"/>.</summary>
    public static ByteString After(IVisibilityRecord last, VisibilityQuery query)
    {
        var names = query.OrderBy.Select(o => o.Attribute.Name).Concat(["CloseTime", "StartTime", "RunId"]).Distinct(StringComparer.Ordinal);
        var written = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var value = QueryValue.Normalize(last.GetValue(name));
            string[]? encoded = value switch
            {
                string s => ["s", s],
                long l => ["l", l.ToString(CultureInfo.InvariantCulture)],
                double d => ["d", d.ToString("R", CultureInfo.InvariantCulture)],
                bool b => ["b", b ? "1" : "0"],
                DateTimeOffset t => ["t", t.UtcTicks.ToString(CultureInfo.InvariantCulture)],
                _ => null,
            };
            if (encoded is not null) written[name] = encoded;
        }

        return ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(written));
    }

    /// <summary>Reads a token; null when it is not one this server wrote.</summary>
    public static VisibilityPageToken? Read(ByteString token)
    {
        try
        {
            var written = JsonSerializer.Deserialize<Dictionary<string, string[]>>(token.Span);
            if (written is null) return null;
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, encoded) in written)
            {
                if (encoded is not [var kind, var text]) return null;
                values[name] = kind switch
                {
                    "s" => text,
                    "l" => long.Parse(text, CultureInfo.InvariantCulture),
                    "d" => double.Parse(text, CultureInfo.InvariantCulture),
                    "b" => text == "1",
                    "t" => new DateTimeOffset(long.Parse(text, CultureInfo.InvariantCulture), TimeSpan.Zero),
                    _ => throw new FormatException($"unknown value kind {kind}"),
                };
            }

            return new VisibilityPageToken(values);
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }
}
