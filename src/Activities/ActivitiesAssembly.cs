namespace Lifecycle.Activities;

/// <summary>Marks the activities assembly (used to find embedded migrations).</summary>
public static class ActivitiesAssembly
{
    /// <summary>The assembly that holds the activities and the embedded SQL migrations.</summary>
    public static System.Reflection.Assembly Assembly => typeof(ActivitiesAssembly).Assembly;
}
