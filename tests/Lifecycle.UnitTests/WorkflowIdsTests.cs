using Lifecycle.Workflows;
using Xunit;

namespace Lifecycle.UnitTests;

public class WorkflowIdsTests
{
    [Fact]
    public void Instance_and_preset_ids_are_prefixed_by_kind()
    {
        var id = Guid.Parse("7f3a2c1e-0000-4000-8000-000000000001");
        Assert.Equal("instance:7f3a2c1e-0000-4000-8000-000000000001", WorkflowIds.Instance(id));
        Assert.Equal("preset:7f3a2c1e-0000-4000-8000-000000000001", WorkflowIds.Preset(id));
    }
}
