using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;

namespace TemporalDev.Query.SearchAttributes;

/// <summary>
/// Typed search attribute values, read from and written to the payloads the SDKs send: JSON data
/// ("json/plain") with a metadata "type" naming the attribute type. Decoded values are string
/// (Keyword, Text), long (Int), double (Double), bool (Bool), DateTimeOffset (Datetime) and
/// IReadOnlyList&lt;string&gt; (KeywordList); null means "unset this attribute".
/// </summary>
public static class SearchAttributeValues
{
    private static readonly ByteString JsonPlain = ByteString.CopyFromUtf8("json/plain");

    /// <summary>
    /// Checks the attributes of a start or upsert against the registry and decodes them, or throws
    /// <see cref="SearchAttributeException"/> with the real server's message.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> Validate(SearchAttributeRegistry registry, Temporalio.Api.Common.V1.SearchAttributes? attributes)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (attributes == null)
        {
            return values;
        }
        foreach (var (name, payload) in attributes.IndexedFields.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!registry.IsSettable(name, out var error))
            {
                throw new SearchAttributeException(error!);
            }
            var type = registry.Find(name)!.Type;
            values[name] = Decode(name, type, payload);
        }
        return values;
    }

    /// <summary>Decodes one payload as the registered type (the payload's own "type" metadata is not trusted).</summary>
    public static object? Decode(string name, IndexedValueType type, Payload payload)
    {
        JsonElement element;
        try
        {
            using var document = JsonDocument.Parse(payload.Data.Memory);
            element = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw Invalid(name, type, $"value from <{payload.Data.ToStringUtf8()}>");
        }
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        // An empty list unsets an attribute of any type, for compatibility with older SDKs.
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 0)
        {
            return type == IndexedValueType.KeywordList ? Array.Empty<string>() : null;
        }
        if (TryConvert(type, element, out var value))
        {
            return value;
        }
        throw Invalid(name, type, element.GetRawText());
    }

    /// <summary>Encodes a typed value as the SDKs do (json/plain with the "type" metadata); null encodes an unset.</summary>
    public static Payload Encode(IndexedValueType type, object? value)
    {
        var json = value switch
        {
            null => "null",
            DateTimeOffset d => JsonSerializer.Serialize(d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)),
            _ => JsonSerializer.Serialize(value),
        };
        var payload = new Payload { Data = ByteString.CopyFromUtf8(json) };
        payload.Metadata["encoding"] = JsonPlain;
        payload.Metadata["type"] = ByteString.CopyFromUtf8(SearchAttributeTypes.NameOf(type));
        return payload;
    }

    private static bool TryConvert(IndexedValueType type, JsonElement element, out object? value)
    {
        value = null;
        // Older SDKs send single values as one-element lists; the real server accepts them.
        if (type != IndexedValueType.KeywordList && element.ValueKind == JsonValueKind.Array)
        {
            if (element.GetArrayLength() != 1)
            {
                return false;
            }
            element = element[0];
        }
        switch (type)
        {
            case IndexedValueType.Keyword or IndexedValueType.Text when element.ValueKind == JsonValueKind.String:
                value = element.GetString();
                return true;
            case IndexedValueType.Int when element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var l):
                value = l;
                return true;
            case IndexedValueType.Double when element.ValueKind == JsonValueKind.Number:
                value = element.GetDouble();
                return true;
            case IndexedValueType.Bool when element.ValueKind is JsonValueKind.True or JsonValueKind.False:
                value = element.GetBoolean();
                return true;
            case IndexedValueType.Datetime when element.ValueKind == JsonValueKind.String:
                if (DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d))
                {
                    value = d.ToUniversalTime();
                    return true;
                }
                return false;
            case IndexedValueType.KeywordList when element.ValueKind == JsonValueKind.String:
                value = new[] { element.GetString()! };
                return true;
            case IndexedValueType.KeywordList when element.ValueKind == JsonValueKind.Array
                && element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                value = element.EnumerateArray().Select(e => e.GetString()!).ToArray();
                return true;
            default:
                return false;
        }
    }

    private static SearchAttributeException Invalid(string name, IndexedValueType type, string shown) =>
        new($"invalid value for search attribute {name} of type {SearchAttributeTypes.NameOf(type)}: {shown}");
}
