Console.Error.WriteLine("temporal-dev: not built yet");
return 1;
