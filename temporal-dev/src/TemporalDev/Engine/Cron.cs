using System.Globalization;
using Cronos;

namespace TemporalDev.Engine;

/// <summary>A workflow cron schedule: a standard five-field cron string or <c>@every &lt;duration&gt;</c>, in UTC.</summary>
public sealed class Cron
{
    private readonly CronExpression? expression;
    private readonly TimeSpan every;

    private Cron(CronExpression? expression, TimeSpan every)
    {
        this.expression = expression;
        this.every = every;
    }

    /// <summary>Parses a cron schedule, or returns null when it is not one.</summary>
    public static Cron? Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith("CRON_TZ=", StringComparison.Ordinal) || text.StartsWith("TZ=", StringComparison.Ordinal))
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0) return null;
            text = text[(space + 1)..];
        }

        if (text.StartsWith("@every ", StringComparison.Ordinal))
        {
            return TryParseGoDuration(text[7..].Trim(), out var d) && d > TimeSpan.Zero ? new Cron(null, d) : null;
        }

        return CronExpression.TryParse(text, CronFormat.Standard, out var parsed) ? new Cron(parsed, TimeSpan.Zero) : null;
    }

    /// <summary>Gets the delay from <paramref name="now"/> until the next fire time after it.</summary>
    public TimeSpan Backoff(DateTime now, DateTime start)
    {
        if (expression is null)
        {
            var elapsed = now - start;
            var periods = (long)Math.Floor(elapsed / every) + 1;
            return start + (every * periods) - now;
        }

        var next = expression.GetNextOccurrence(DateTime.SpecifyKind(now, DateTimeKind.Utc), TimeZoneInfo.Utc);
        return next is null ? TimeSpan.Zero : next.Value - now;
    }

    private static bool TryParseGoDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var startNum = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
            if (startNum == i) return false;
            var number = double.Parse(text[startNum..i], CultureInfo.InvariantCulture);
            var startUnit = i;
            while (i < text.Length && char.IsLetter(text[i])) i++;
            duration += text[startUnit..i] switch
            {
                "h" => TimeSpan.FromHours(number),
                "m" => TimeSpan.FromMinutes(number),
                "s" => TimeSpan.FromSeconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                _ => TimeSpan.MinValue,
            };
            if (duration < TimeSpan.Zero) return false;
        }

        return true;
    }
}
