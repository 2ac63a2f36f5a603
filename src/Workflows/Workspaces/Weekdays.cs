namespace Lifecycle.Workflows.Workspaces;

/// <summary>A set of weekdays as Coder's 7-bit bitmap: bit 0 is Monday, bit 6 is Sunday.</summary>
[Flags]
public enum Weekdays
{
    None = 0,
    Monday = 1,
    Tuesday = 2,
    Wednesday = 4,
    Thursday = 8,
    Friday = 16,
    Saturday = 32,
    Sunday = 64,
    MondayToFriday = Monday | Tuesday | Wednesday | Thursday | Friday,
    All = MondayToFriday | Saturday | Sunday,
}

/// <summary>Membership tests between <see cref="Weekdays"/> and <see cref="DayOfWeek"/>.</summary>
public static class WeekdaysExtensions
{
    /// <summary>The single-day flag for a weekday.</summary>
    public static Weekdays ToWeekdays(this DayOfWeek day) => day switch
    {
        DayOfWeek.Monday => Weekdays.Monday,
        DayOfWeek.Tuesday => Weekdays.Tuesday,
        DayOfWeek.Wednesday => Weekdays.Wednesday,
        DayOfWeek.Thursday => Weekdays.Thursday,
        DayOfWeek.Friday => Weekdays.Friday,
        DayOfWeek.Saturday => Weekdays.Saturday,
        DayOfWeek.Sunday => Weekdays.Sunday,
        _ => throw new ArgumentOutOfRangeException(nameof(day), day, "not a weekday"),
    };

    public static bool Includes(this Weekdays days, DayOfWeek day) => (days & day.ToWeekdays()) != 0;

    /// <summary>Converts the stored inverted "blocked days" bitmap into allowed days.</summary>
    public static Weekdays FromBlockedDays(int blockedBitmap) => (Weekdays)(~blockedBitmap & (int)Weekdays.All);
}
