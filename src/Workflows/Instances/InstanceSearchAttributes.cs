using Temporalio.Common;

namespace Lifecycle.Workflows.Instances;

/// <summary>The search attributes an Instance workflow keeps current (register them on the namespace: all Keyword).</summary>
public static class InstanceSearchAttributes
{
    /// <summary>The instance's state (<c>pending_create</c> … <c>deleted</c>).</summary>
    public static readonly SearchAttributeKey<string> State = SearchAttributeKey.CreateKeyword("InstanceState");

    /// <summary>The preset the instance was made for.</summary>
    public static readonly SearchAttributeKey<string> PresetId = SearchAttributeKey.CreateKeyword("PresetId");

    /// <summary>The template the instance was made from.</summary>
    public static readonly SearchAttributeKey<string> TemplateId = SearchAttributeKey.CreateKeyword("TemplateId");
}
