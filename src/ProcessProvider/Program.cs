using Lifecycle.ProcessProvider;

// Two modes: `agent <record>` is an instance's own process; no arguments is a GARM external-provider call.
if (args is ["agent", var recordPath])
    return await Agent.RunAsync(recordPath);

try
{
    var call = await Invocation.ReadAsync(Environment.GetEnvironmentVariable, Console.In);
    var settings = ProcessProviderSettings.Load(call.ConfigFile);
    var output = await new Commands(call, settings).RunAsync();
    if (output.Length > 0)
        await Console.Out.WriteAsync(output);
    return ExitCodes.Success;
}
catch (ProviderFailure failure)
{
    await Console.Error.WriteLineAsync(failure.Message);
    return failure.ExitCode;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return ExitCodes.Failure;
}
