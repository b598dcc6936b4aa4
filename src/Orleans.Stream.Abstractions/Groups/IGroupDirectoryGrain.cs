namespace Orleans.Stream;

/// <summary>
/// The ids of the cluster's consumer groups (one activation, key 0), for <c>ostream group list</c>. A coordinator
/// registers its group the first time it persists anything; the list is persisted.
/// </summary>
public interface IGroupDirectoryGrain : IGrainWithIntegerKey
{
    Task Register(string groupId);

    Task<string[]> List();
}
