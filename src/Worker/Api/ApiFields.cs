using Lifecycle.Activities.Catalog;
using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Worker.Api;

/// <summary>Reads and checks single request values; each problem is a <see cref="CatalogInputException"/> naming the field.</summary>
public static class ApiFields
{
    private static readonly (string Name, Weekdays Day)[] DayNames =
    [
        ("monday", Weekdays.Monday), ("tuesday", Weekdays.Tuesday), ("wednesday", Weekdays.Wednesday), ("thursday", Weekdays.Thursday),
        ("friday", Weekdays.Friday), ("saturday", Weekdays.Saturday), ("sunday", Weekdays.Sunday),
    ];

    /// <summary>A route id; anything but a UUID is bad input on <c>id</c>.</summary>
    public static Guid Id(string text, string field = "id") =>
        Guid.TryParse(text, out var id) ? id : throw new CatalogInputException(field, $"\"{text}\" is not a UUID");

    /// <summary>A required value.</summary>
    public static T Required<T>(T? value, string field)
        where T : struct =>
        value ?? throw new CatalogInputException(field, "is required");

    /// <summary>A required, non-blank name of at most <paramref name="maxLength"/> characters, trimmed.</summary>
    public static string Name(string? value, string field, int maxLength = 64)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new CatalogInputException(field, "is required and must not be blank");
        var trimmed = value.Trim();
        return trimmed.Length <= maxLength ? trimmed : throw new CatalogInputException(field, $"must be at most {maxLength} characters, got {trimmed.Length}");
    }

    /// <summary>A duration given in milliseconds, within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static TimeSpan Milliseconds(long value, string field, TimeSpan max, TimeSpan? min = null)
    {
        var floor = min ?? TimeSpan.Zero;
        if (value < 0)
            throw new CatalogInputException(field, $"must not be negative, got {value}");
        if (value > (long)max.TotalMilliseconds)
            throw new CatalogInputException(field, $"must be at most {Describe(max)} ({(long)max.TotalMilliseconds} ms), got {value}");
        var duration = TimeSpan.FromMilliseconds(value);
        return duration >= floor ? duration : throw new CatalogInputException(field, $"must be at least {Describe(floor)} ({(long)floor.TotalMilliseconds} ms), got {value}");
    }

    /// <summary>Weekday names (<c>monday</c> … <c>sunday</c>, any case) as the 7-bit bitmap.</summary>
    public static Weekdays Days(IReadOnlyList<string>? names, string field)
    {
        var days = Weekdays.None;
        for (var i = 0; i < (names?.Count ?? 0); i++)
        {
            var name = names![i]?.Trim().ToLowerInvariant();
            var match = DayNames.FirstOrDefault(d => d.Name == name);
            if (match.Name is null)
                throw new CatalogInputException($"{field}[{i}]", $"\"{names[i]}\" is not a weekday (monday … sunday)");
            days |= match.Day;
        }
        return days;
    }

    /// <summary>The weekday names of a bitmap, Monday first.</summary>
    public static IReadOnlyList<string> DayList(int bitmap) => [.. DayNames.Where(d => (bitmap & (int)d.Day) != 0).Select(d => d.Name)];

    /// <summary>A duration as whole milliseconds for answers.</summary>
    public static long Ms(TimeSpan value) => (long)value.TotalMilliseconds;

    private static string Describe(TimeSpan value) =>
        value.TotalDays >= 1 && value.TotalDays == Math.Floor(value.TotalDays) ? $"{value.TotalDays:0} days"
        : value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours) ? $"{value.TotalHours:0} hours"
        : value.TotalSeconds >= 1 ? $"{value.TotalSeconds:0.###} seconds" : $"{value.TotalMilliseconds:0} ms";
}
