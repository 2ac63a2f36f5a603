namespace TemporalDev.Query.SearchAttributes;

/// <summary>A search attribute name, type or value the real server rejects with InvalidArgument.</summary>
public sealed class SearchAttributeException : Exception
{
    public SearchAttributeException(string message)
        : base(message)
    {
    }

    public SearchAttributeException()
    {
    }

    public SearchAttributeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
