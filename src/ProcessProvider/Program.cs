Console.Error.WriteLine("lifecycle-process-provider: not built yet");
return 1;
