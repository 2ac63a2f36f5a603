using System.Globalization;
using Range = Temporalio.Api.Schedule.V1.Range;

namespace TemporalDev.Schedules.Calendar;

/// <summary>
/// Reads one calendar field string ("*", "5", "1-5", "1-5/2", "3/5", "mon-fri", "1,3,5-7") into
/// the ranges the real server stores, with its compact encoding (end 0 for a single value, step 0 for 1).
/// </summary>
public static class CalendarRangeParser
{
    private static readonly string[] MonthNames =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] DayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    /// <summary>Parses a field, or returns the error message the real server gives.</summary>
    public static IReadOnlyList<Range> Parse(string? text, CalendarField field, out string? error)
    {
        error = null;
        var s = (text ?? string.Empty).Trim();
        if (s.Length == 0)
        {
            s = field.Default;
        }
        var ranges = new List<Range>();
        if (s == "*" && field.Mode == CalendarFieldMode.Year)
        {
            return ranges;
        }
        foreach (var rawPart in s.Split(','))
        {
            var part = rawPart;
            var step = 1;
            var hasStep = false;
            var slashes = part.Count(c => c == '/');
            if (slashes > 1)
            {
                error = $"{field.Name} has too many slashes";
                return [];
            }
            if (slashes == 1)
            {
                var pieces = part.Split('/', 2);
                if (pieces[1].Length == 0)
                {
                    error = $"{field.Name} missing step value";
                    return [];
                }
                part = pieces[0];
                if (!int.TryParse(pieces[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out step))
                {
                    error = $"strconv.Atoi: parsing \"{pieces[1]}\": invalid syntax";
                    return [];
                }
                if (step < 1)
                {
                    error = $"{field.Name} has invalid Step";
                    return [];
                }
                hasStep = true;
            }

            int start = field.Min, end = field.Max;
            if (part != "*")
            {
                if (part.Contains('-', StringComparison.Ordinal))
                {
                    var pieces = part.Split('-');
                    if (pieces.Length > 2)
                    {
                        error = $"{field.Name} has too many dashes";
                        return [];
                    }
                    if (!TryParseValue(pieces[0], field.Min, field.Max, field.Mode, out start))
                    {
                        error = $"{field.Name} Start is not in range [{field.Min}-{field.Max}]";
                        return [];
                    }
                    if (!TryParseValue(pieces[1], start, field.Max, field.Mode, out end))
                    {
                        error = $"{field.Name} End is before Start or not in range [{field.Min}-{field.Max}]";
                        return [];
                    }
                }
                else
                {
                    if (!TryParseValue(part, field.Min, field.Max, field.Mode, out start))
                    {
                        error = $"{field.Name} is not in range [{field.Min}-{field.Max}]";
                        return [];
                    }
                    // "x/y" runs from x to the field's maximum; a bare "x" is just x.
                    if (!hasStep)
                    {
                        end = start;
                    }
                }
            }

            // Sunday may be written 7; structured ranges only know 0-6, which may need an extra {0}.
            if (field.Mode == CalendarFieldMode.DayOfWeek && end == 7)
            {
                if ((7 - start) % step == 0 && (step > 1 || (step == 1 && start > 1)))
                {
                    ranges.Add(new Range { Start = 0 });
                    if (start == 7)
                    {
                        continue;
                    }
                }
                end = 6;
            }
            ranges.Add(new Range { Start = start, End = start == end ? 0 : end, Step = step == 1 ? 0 : step });
        }
        return ranges;
    }

    private static bool TryParseValue(string s, int min, int max, CalendarFieldMode mode, out int value)
    {
        var names = mode switch
        {
            CalendarFieldMode.Month when s.Length >= 3 => MonthNames,
            CalendarFieldMode.DayOfWeek when s.Length >= 2 => DayNames,
            _ => null,
        };
        if (names != null)
        {
            var lower = s.ToLowerInvariant();
            for (var i = 0; i < names.Length; i++)
            {
                if (names[i].StartsWith(lower, StringComparison.Ordinal))
                {
                    value = mode == CalendarFieldMode.Month ? i + 1 : i;
                    return value >= min && value <= max;
                }
            }
        }
        return int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }
}
