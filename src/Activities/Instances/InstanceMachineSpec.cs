namespace Lifecycle.Activities.Instances;

/// <summary>
/// What a provider needs to build one instance's machine, read from the store: the template version it is built on
/// (the latest start build's, else its preset's, else the template's active version) with GARM's image, flavor and
/// extra specs.
/// </summary>
public sealed record InstanceMachineSpec
{
    /// <summary>The instance.</summary>
    public Guid Id { get; init; }

    /// <summary>The provider's name for the machine.</summary>
    public string InstanceName { get; init; } = string.Empty;

    /// <summary>The configured provider that makes the machine.</summary>
    public string ProviderName { get; init; } = string.Empty;

    /// <summary>The preset (GARM: pool), when the instance is a prebuild.</summary>
    public Guid? PresetId { get; init; }

    /// <summary>The template.</summary>
    public Guid TemplateId { get; init; }

    /// <summary>The version the machine is built from; null when the template has none yet.</summary>
    public Guid? TemplateVersionId { get; init; }

    /// <summary>The provider image of that version.</summary>
    public string ProviderImage { get; init; } = string.Empty;

    /// <summary>The provider flavor of that version.</summary>
    public string ProviderFlavor { get; init; } = string.Empty;

    /// <summary>The version's extra specs, JSON object text.</summary>
    public string ProviderExtraSpecs { get; init; } = "{}";

    /// <summary>The machine's provider id, once a create returned one.</summary>
    public string? ProviderId { get; init; }
}
