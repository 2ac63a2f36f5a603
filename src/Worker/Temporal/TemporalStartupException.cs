namespace Lifecycle.Worker.Temporal;

/// <summary>Start-up could not bring Temporal up. The message is one line naming what is missing.</summary>
public sealed class TemporalStartupException : Exception
{
    public TemporalStartupException(string message)
        : base(message)
    {
    }
}
