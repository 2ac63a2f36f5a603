using System.Collections.Concurrent;
using System.Text;

namespace Lifecycle.Activities.Store;

/// <summary>
/// The text an enum member is stored as: its name in snake_case (<c>HardLimited</c> ↔ <c>hard_limited</c>,
/// <c>PendingForceDelete</c> ↔ <c>pending_force_delete</c>). Enum columns are text with a CHECK listing these values,
/// so row records carry the text and code converts at the edge with these two methods.
/// </summary>
public static class StoredText
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, object>> ByText = new();

    /// <summary>The stored text of an enum member.</summary>
    public static string ToStoredText<T>(this T value)
        where T : struct, Enum
    {
        var name = Enum.GetName(value) ?? throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name} member");
        return SnakeCase(name);
    }

    /// <summary>Parses stored text; throws a <see cref="FormatException"/> naming the enum and the bad text.</summary>
    public static T Parse<T>(string text)
        where T : struct, Enum =>
        TryParse<T>(text, out var value)
            ? value
            : throw new FormatException($"\"{text}\" is not a stored {typeof(T).Name} (expected one of {string.Join(", ", Values<T>())})");

    public static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum
    {
        var map = ByText.GetOrAdd(typeof(T), static _ => Enum.GetValues<T>().ToDictionary(v => v.ToStoredText(), v => (object)v, StringComparer.Ordinal));
        if (text is not null && map.TryGetValue(text, out var found))
        {
            value = (T)found;
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>Every stored text of an enum, in declaration order.</summary>
    public static IReadOnlyList<string> Values<T>()
        where T : struct, Enum => Enum.GetValues<T>().Select(v => v.ToStoredText()).ToArray();

    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
