namespace TemporalDev.Query.Language;

/// <summary>
/// A query the real server rejects with InvalidArgument. The message starts with "invalid query: ";
/// <see cref="Position"/> is the 1-based character offset in the query where the problem is.
/// </summary>
public sealed class QueryException : Exception
{
    public QueryException(string detail, int position)
        : base("invalid query: " + detail)
    {
        Detail = detail;
        Position = position;
    }

    public QueryException()
        : this("unknown error", 0)
    {
    }

    public QueryException(string message, Exception innerException)
        : base(message, innerException) => Detail = message;

    public QueryException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Gets the problem without the "invalid query: " prefix.</summary>
    public string Detail { get; }

    /// <summary>Gets the 1-based offset of the offending token (0 when the whole query is at fault).</summary>
    public int Position { get; }
}
