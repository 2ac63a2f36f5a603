using Lifecycle.Activities.Instances;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>The per-instance token and the activity settings: pure checks, no database.</summary>
public sealed class InstanceActivitySettingsTests
{
    [Fact]
    public void The_token_is_the_same_for_every_attempt_of_an_instance_and_differs_between_instances_and_secrets()
    {
        var id = Guid.NewGuid();

        var first = InstanceToken.Derive(InstanceActivityKit.Secret, id);
        var retry = InstanceToken.Derive(InstanceActivityKit.Secret, id);
        var other = InstanceToken.Derive(InstanceActivityKit.Secret, Guid.NewGuid());
        var rotated = InstanceToken.Derive(InstanceActivityKit.Secret + "x", id);

        Assert.Equal(first, retry);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, rotated);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", first);
        Assert.True(InstanceToken.Matches(first, InstanceToken.Hash(first)));
        Assert.False(InstanceToken.Matches(other, InstanceToken.Hash(first)));
        Assert.False(InstanceToken.Matches(first, null));
    }

    [Fact]
    public void Unusable_settings_are_all_reported_each_naming_its_setting()
    {
        var options = new InstanceActivityOptions { CallbackBaseUrl = "ftp://x", InstanceTokenSecret = "short", HeartbeatInterval = TimeSpan.Zero };

        var problems = options.Validate();

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Lifecycle:ControllerId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Lifecycle:CallbackBaseUrl", StringComparison.Ordinal) && p.Contains("ftp://x", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Lifecycle:InstanceTokenSecret", StringComparison.Ordinal) && p.Contains("got 5", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Lifecycle:HeartbeatInterval", StringComparison.Ordinal));
        Assert.Empty(InstanceActivityKit.Options().Validate());
    }

    [Fact]
    public void The_callback_url_names_the_instance_under_the_configured_base()
    {
        var id = Guid.NewGuid();
        var options = InstanceActivityKit.Options("https://lifecycle.example.com/");

        Assert.Equal($"https://lifecycle.example.com/api/v1/instances/{id}", options.CallbackUrlFor(id).AbsoluteUri);
    }
}
