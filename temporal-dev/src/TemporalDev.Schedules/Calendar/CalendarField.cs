namespace TemporalDev.Schedules.Calendar;

/// <summary>One field of a calendar spec: its name in error messages, its bounds and its default.</summary>
public sealed record CalendarField(string Name, int Min, int Max, string Default, CalendarFieldMode Mode)
{
    public static readonly CalendarField Second = new("Second", 0, 59, "0", CalendarFieldMode.Integer);
    public static readonly CalendarField Minute = new("Minute", 0, 59, "0", CalendarFieldMode.Integer);
    public static readonly CalendarField Hour = new("Hour", 0, 23, "0", CalendarFieldMode.Integer);
    public static readonly CalendarField DayOfMonth = new("DayOfMonth", 1, 31, "*", CalendarFieldMode.Integer);
    public static readonly CalendarField Month = new("Month", 1, 12, "*", CalendarFieldMode.Month);
    public static readonly CalendarField Year = new("Year", CalendarLimits.MinYear, CalendarLimits.MaxYear, "*", CalendarFieldMode.Year);

    // Day of week accepts 7 for Sunday in strings; structured ranges must use 0-6.
    public static readonly CalendarField DayOfWeek = new("DayOfWeek", 0, 7, "*", CalendarFieldMode.DayOfWeek);
}

/// <summary>How a calendar field's string form is read.</summary>
public enum CalendarFieldMode
{
    /// <summary>Decimal integers only.</summary>
    Integer,

    /// <summary>Integers; "*" is the empty range list (every year).</summary>
    Year,

    /// <summary>Integers or month names (a prefix of at least three letters).</summary>
    Month,

    /// <summary>Integers or day names (a prefix of at least two letters); 7 is Sunday.</summary>
    DayOfWeek,
}

/// <summary>The years a calendar can match, as on the real server.</summary>
public static class CalendarLimits
{
    public const int MinYear = 2000;
    public const int MaxYear = 2100;
    public const int MaxCommentLength = 200;
}
