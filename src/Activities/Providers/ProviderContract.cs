namespace Lifecycle.Activities.Providers;

/// <summary>
/// The fixed strings and numbers of GARM's external-provider contract (garm doc/external_provider.md and
/// garm-provider-common's execution package): command names, environment variables, exit codes, interface versions.
/// </summary>
public static class ProviderContract
{
    /// <summary>Interface version v0.1.0: the original contract (also what an empty version means).</summary>
    public const string InterfaceV010 = "v0.1.0";

    /// <summary>Interface version v0.1.1: adds pool id and base64 extra specs to every per-pool command.</summary>
    public const string InterfaceV011 = "v0.1.1";

    /// <summary>Exit code meaning "no such instance": success for DeleteInstance, a failure for every other command.</summary>
    public const int ExitNotFound = 30;

    /// <summary>Exit code meaning "already exists" (garm-provider-common convention); a failure.</summary>
    public const int ExitDuplicate = 31;

    /// <summary>Names of the environment variables the provider reads.</summary>
    public static class Variables
    {
        /// <summary>The operation to run.</summary>
        public const string Command = "GARM_COMMAND";

        /// <summary>The controller (installation) id; always set.</summary>
        public const string ControllerId = "GARM_CONTROLLER_ID";

        /// <summary>The pool id (create, list; every per-pool command under v0.1.1).</summary>
        public const string PoolId = "GARM_POOL_ID";

        /// <summary>The provider id of the instance, or its name when no id is known.</summary>
        public const string InstanceId = "GARM_INSTANCE_ID";

        /// <summary>The provider's own configuration file; opaque to us; always set (possibly empty).</summary>
        public const string ConfigFile = "GARM_PROVIDER_CONFIG_FILE";

        /// <summary>The interface version the caller speaks; always set.</summary>
        public const string InterfaceVersion = "GARM_INTERFACE_VERSION";

        /// <summary>v0.1.1: base64 (standard alphabet) of the pool's extra specs JSON.</summary>
        public const string PoolExtraSpecs = "GARM_POOL_EXTRASPECS";
    }
}

/// <summary>The operations of the contract; <see cref="ProviderCommands.ToText"/> gives the exact <c>GARM_COMMAND</c> value.</summary>
public enum ProviderCommand
{
    /// <summary>Create a machine from the bootstrap JSON on stdin; prints one instance.</summary>
    CreateInstance,

    /// <summary>Delete one machine; prints nothing; exit 30 when it is already gone.</summary>
    DeleteInstance,

    /// <summary>Describe one machine; prints one instance.</summary>
    GetInstance,

    /// <summary>List the pool's machines; prints a JSON array.</summary>
    ListInstances,

    /// <summary>Delete every machine of the controller (and pool, under v0.1.1); prints nothing.</summary>
    RemoveAllInstances,

    /// <summary>Start a stopped machine; prints nothing.</summary>
    StartInstance,

    /// <summary>Stop a machine; prints nothing.</summary>
    StopInstance,

    /// <summary>Print the provider's version as plain text.</summary>
    GetVersion,
}

/// <summary>Wire text of <see cref="ProviderCommand"/>.</summary>
public static class ProviderCommands
{
    /// <summary>The <c>GARM_COMMAND</c> value (the enum names are the wire names, e.g. <c>StartInstance</c>, not GARM's prose "Start").</summary>
    public static string ToText(this ProviderCommand command) => command switch
    {
        ProviderCommand.CreateInstance => "CreateInstance",
        ProviderCommand.DeleteInstance => "DeleteInstance",
        ProviderCommand.GetInstance => "GetInstance",
        ProviderCommand.ListInstances => "ListInstances",
        ProviderCommand.RemoveAllInstances => "RemoveAllInstances",
        ProviderCommand.StartInstance => "StartInstance",
        ProviderCommand.StopInstance => "StopInstance",
        ProviderCommand.GetVersion => "GetVersion",
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "not a provider command"),
    };
}
