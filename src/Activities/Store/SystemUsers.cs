namespace Lifecycle.Activities.Store;

/// <summary>Users the schema creates itself.</summary>
public static class SystemUsers
{
    /// <summary>The prebuilds user's username.</summary>
    public const string PrebuildsUsername = "prebuilds";

    /// <summary>
    /// The "prebuilds" user (spec/prebuilds.md §1.1): owns every unclaimed prebuild. Fixed so every replica, every
    /// migration and every query agrees on it.
    /// </summary>
    public static readonly Guid PrebuildsUserId = new("c42fdf75-3097-471c-8c33-fb52454d81c0");
}
