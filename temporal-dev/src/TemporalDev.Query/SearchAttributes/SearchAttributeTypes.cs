using Temporalio.Api.Enums.V1;

namespace TemporalDev.Query.SearchAttributes;

/// <summary>The names of search attribute types as they appear in payload metadata, CLI flags and error messages.</summary>
public static class SearchAttributeTypes
{
    private static readonly (string Name, IndexedValueType Type)[] Names =
    [
        ("Text", IndexedValueType.Text),
        ("Keyword", IndexedValueType.Keyword),
        ("Int", IndexedValueType.Int),
        ("Double", IndexedValueType.Double),
        ("Bool", IndexedValueType.Bool),
        ("Datetime", IndexedValueType.Datetime),
        ("KeywordList", IndexedValueType.KeywordList),
    ];

    /// <summary>The short name the real server prints ("Keyword", "KeywordList", "Datetime"…).</summary>
    public static string NameOf(IndexedValueType type) =>
        Names.Where(n => n.Type == type).Select(n => n.Name).FirstOrDefault() ?? type.ToString();

    /// <summary>Reads a type name case-insensitively, also in its proto form ("INDEXED_VALUE_TYPE_KEYWORD").</summary>
    public static bool TryParse(string text, out IndexedValueType type)
    {
        var name = text.Trim();
        const string protoPrefix = "INDEXED_VALUE_TYPE_";
        if (name.StartsWith(protoPrefix, StringComparison.OrdinalIgnoreCase))
        {
            name = name[protoPrefix.Length..].Replace("_", string.Empty, StringComparison.Ordinal);
        }
        foreach (var (n, t) in Names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        }
        type = IndexedValueType.Unspecified;
        return false;
    }
}
