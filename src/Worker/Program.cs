using Lifecycle.Worker.Hosting;

return await LifecycleHost.RunAsync(args);
