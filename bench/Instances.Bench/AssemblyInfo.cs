// The process provider, /proc and Unix file modes: the benchmark runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
