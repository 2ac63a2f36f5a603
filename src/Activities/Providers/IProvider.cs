namespace Lifecycle.Activities.Providers;

/// <summary>
/// A provider of machines behind GARM's external-provider contract. Every call is one run of the provider; failures
/// throw <see cref="ProviderException"/> with the provider, command and instance in the message.
/// </summary>
public interface IProvider
{
    /// <summary>The configured name (e.g. <c>lxd</c>, <c>process</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Creates the machine <see cref="BootstrapInstance.Name"/>. The answer may have status error (with a fault):
    /// the caller cleans up. <paramref name="timeout"/> (e.g. the bootstrap timeout) shortens the provider's own.
    /// </summary>
    Task<ProviderInstance> CreateInstanceAsync(BootstrapInstance bootstrap, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the machine by provider id or, when none is known, by name; a machine already gone is a success.</summary>
    Task<DeleteOutcome> DeleteInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default);

    /// <summary>Describes one machine; a machine the provider does not have is a <see cref="ProviderErrorKind.NotFound"/> error.</summary>
    Task<ProviderInstance> GetInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the machines tagged with our controller and <paramref name="pool"/>.</summary>
    Task<IReadOnlyList<ProviderInstance>> ListInstancesAsync(ProviderPool pool, CancellationToken cancellationToken = default);

    /// <summary>Deletes every machine of our controller (and of <paramref name="pool"/>, when given under v0.1.1).</summary>
    Task RemoveAllInstancesAsync(ProviderPool? pool = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a stopped machine.</summary>
    Task StartInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default);

    /// <summary>Stops a running machine.</summary>
    Task StopInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default);

    /// <summary>The provider's version text.</summary>
    Task<string> GetVersionAsync(CancellationToken cancellationToken = default);
}

/// <summary>How a successful delete went: the provider deleted the machine, or it was already gone (exit 30).</summary>
public enum DeleteOutcome
{
    /// <summary>The provider deleted it.</summary>
    Deleted,

    /// <summary>The provider did not have it; a delete of an unknown instance is a success.</summary>
    AlreadyGone,
}
