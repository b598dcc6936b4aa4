namespace Orleans.Stream.Infra.Tests;

/// <summary>A test that needs a command on PATH; skipped, saying so, where it is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        if (Tool.OnPath(tool) is null)
        {
            Skip = $"{tool} is not on PATH";
        }
    }
}
