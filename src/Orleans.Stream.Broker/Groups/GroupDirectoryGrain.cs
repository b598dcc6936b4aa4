using Orleans.Stream.Broker.Controller;

namespace Orleans.Stream.Broker.Groups;

/// <summary>The cluster's list of consumer group ids (<see cref="IGroupDirectoryGrain"/>), persisted.</summary>
[GrainType("ostream-groups")]
internal sealed class GroupDirectoryGrain(
    [PersistentState("groups", ControllerGrain.StorageName)] IPersistentState<GroupDirectoryState> state) : Grain, IGroupDirectoryGrain
{
    public async Task Register(string groupId)
    {
        if (state.State.GroupIds.Add(groupId))
        {
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.GroupIds.Remove(groupId);
                throw;
            }
        }
    }

    public Task<string[]> List()
    {
        string[] ids = [.. state.State.GroupIds];
        Array.Sort(ids, StringComparer.Ordinal);
        return Task.FromResult(ids);
    }
}

[GenerateSerializer]
internal sealed class GroupDirectoryState
{
    [Id(0)]
    public HashSet<string> GroupIds { get; set; } = new(StringComparer.Ordinal);
}
