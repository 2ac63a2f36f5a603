// The provider reads /proc, signals process groups and starts agents under setsid: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
