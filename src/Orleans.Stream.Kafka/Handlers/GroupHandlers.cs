using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// Kafka's classic group protocol, served by the same coordinator grains the grain client uses: every broker can
/// reach any group's coordinator grain, so FindCoordinator answers with the broker that was asked, and JoinGroup,
/// SyncGroup, Heartbeat and LeaveGroup pass through unchanged (member metadata and assignments are Kafka's consumer
/// protocol bytes either way). A Kafka consumer and a grain-client consumer can therefore share a group. Static
/// membership (group.instance.id) is not supported: such members are treated as dynamic ones.
/// </summary>
internal static class GroupHandlers
{
    public static Wire.FindCoordinatorResponse FindCoordinator(BrokerContext broker, Wire.FindCoordinatorRequest request) => request.KeyType == 0
        ? new Wire.FindCoordinatorResponse { NodeId = broker.BrokerId, Host = broker.Options.AdvertisedHost, Port = broker.Options.Port }
        : new Wire.FindCoordinatorResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable, ErrorMessage = "Transactions are not supported." };

    public static async ValueTask<Wire.JoinGroupResponse> JoinAsync(BrokerContext broker, RequestHeader header, Wire.JoinGroupRequest request)
    {
        var protocols = new GroupProtocol[request.Protocols.Count];
        for (int i = 0; i < protocols.Length; i++)
        {
            protocols[i] = new GroupProtocol(request.Protocols[i].Name, request.Protocols[i].Metadata.ToArray());
        }

        int rebalanceTimeout = request.RebalanceTimeoutMs > 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs; // v0 has none
        JoinGroupResponse joined;
        try
        {
            joined = await Coordinator(broker, request.GroupId).JoinGroup(new JoinGroupRequest(
                request.MemberId, header.ClientId ?? "", request.ProtocolType, protocols, request.SessionTimeoutMs, rebalanceTimeout)).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            return new Wire.JoinGroupResponse { ErrorCode = (short)Failure(error), MemberId = request.MemberId };
        }

        var response = new Wire.JoinGroupResponse
        {
            ErrorCode = (short)joined.Error,
            GenerationId = joined.GenerationId,
            ProtocolType = request.ProtocolType,
            ProtocolName = joined.ProtocolName ?? "",
            Leader = joined.LeaderId,
            MemberId = joined.MemberId,
        };
        foreach (GroupMemberMetadata member in joined.Members)
        {
            response.Members.Add(new Wire.JoinGroupResponse.Member { MemberId = member.MemberId, Metadata = member.Metadata });
        }

        return response;
    }

    public static async ValueTask<Wire.SyncGroupResponse> SyncAsync(BrokerContext broker, Wire.SyncGroupRequest request)
    {
        var assignments = new GroupAssignment[request.Assignments.Count];
        for (int i = 0; i < assignments.Length; i++)
        {
            assignments[i] = new GroupAssignment(request.Assignments[i].MemberId, request.Assignments[i].Bytes.ToArray());
        }

        try
        {
            SyncGroupResponse synced = await Coordinator(broker, request.GroupId)
                .SyncGroup(new SyncGroupRequest(request.MemberId, request.GenerationId, assignments)).ConfigureAwait(false);
            return new Wire.SyncGroupResponse
            {
                ErrorCode = (short)synced.Error,
                ProtocolType = request.ProtocolType,
                ProtocolName = request.ProtocolName,
                Assignment = synced.Assignment,
            };
        }
        catch (Exception error)
        {
            return new Wire.SyncGroupResponse { ErrorCode = (short)Failure(error) };
        }
    }

    public static async ValueTask<Wire.HeartbeatResponse> HeartbeatAsync(BrokerContext broker, Wire.HeartbeatRequest request)
    {
        try
        {
            ErrorCode error = await Coordinator(broker, request.GroupId).Heartbeat(request.MemberId, request.GenerationId).ConfigureAwait(false);
            return new Wire.HeartbeatResponse { ErrorCode = (short)error };
        }
        catch (Exception error)
        {
            return new Wire.HeartbeatResponse { ErrorCode = (short)Failure(error) };
        }
    }

    public static async ValueTask<Wire.LeaveGroupResponse> LeaveAsync(BrokerContext broker, Wire.LeaveGroupRequest request)
    {
        IGroupCoordinatorGrain coordinator = Coordinator(broker, request.GroupId);
        var response = new Wire.LeaveGroupResponse();
        try
        {
            if (request.Members.Count == 0)
            {
                response.ErrorCode = (short)await coordinator.LeaveGroup(request.MemberId).ConfigureAwait(false); // v0-2: one member
                return response;
            }

            foreach (Wire.LeaveGroupRequest.Member member in request.Members)
            {
                ErrorCode left = await coordinator.LeaveGroup(member.MemberId).ConfigureAwait(false);
                response.Members.Add(new Wire.LeaveGroupResponse.Member { MemberId = member.MemberId, GroupInstanceId = member.GroupInstanceId, ErrorCode = (short)left });
            }
        }
        catch (Exception error)
        {
            response.ErrorCode = (short)Failure(error);
        }

        return response;
    }

    public static async ValueTask<Wire.ListGroupsResponse> ListAsync(BrokerContext broker, Wire.ListGroupsRequest request)
    {
        string[] groups = await broker.Grains.GetGrain<IGroupDirectoryGrain>(0).List().ConfigureAwait(false);
        var descriptions = new Task<GroupDescription>[groups.Length];
        for (int i = 0; i < groups.Length; i++)
        {
            descriptions[i] = Coordinator(broker, groups[i]).Describe();
        }

        var response = new Wire.ListGroupsResponse();
        foreach (GroupDescription group in await Task.WhenAll(descriptions).ConfigureAwait(false))
        {
            if (request.StatesFilter.Count == 0 || request.StatesFilter.Contains(group.State, StringComparer.OrdinalIgnoreCase))
            {
                response.Groups.Add(new Wire.ListGroupsResponse.Group { GroupId = group.GroupId, ProtocolType = group.ProtocolType ?? "", GroupState = group.State });
            }
        }

        return response;
    }

    public static async ValueTask<Wire.DescribeGroupsResponse> DescribeAsync(BrokerContext broker, Wire.DescribeGroupsRequest request)
    {
        var response = new Wire.DescribeGroupsResponse();
        foreach (string groupId in request.Groups)
        {
            try
            {
                GroupDescription group = await Coordinator(broker, groupId).Describe().ConfigureAwait(false);
                var described = new Wire.DescribeGroupsResponse.Group
                {
                    GroupId = group.GroupId,
                    GroupState = group.State,
                    ProtocolType = group.ProtocolType ?? "",
                    ProtocolData = group.Protocol ?? "",
                };
                foreach (GroupMemberDescription member in group.Members)
                {
                    described.Members.Add(new Wire.DescribeGroupsResponse.Member
                    {
                        MemberId = member.MemberId,
                        ClientId = member.ClientId,
                        MemberMetadata = member.Metadata,
                        MemberAssignment = member.Assignment,
                    });
                }

                response.Groups.Add(described);
            }
            catch (Exception error)
            {
                response.Groups.Add(new Wire.DescribeGroupsResponse.Group { GroupId = groupId, ErrorCode = (short)Failure(error), GroupState = "Dead" });
            }
        }

        return response;
    }

    public static IGroupCoordinatorGrain Coordinator(BrokerContext broker, string groupId) => broker.Grains.GetGrain<IGroupCoordinatorGrain>(groupId);

    /// <summary>A coordinator call that failed: its stream error, else "try again" (the coordinator grain is moving).</summary>
    public static ErrorCode Failure(Exception error) => error is OrleansStreamException stream ? stream.Code : ErrorCode.CoordinatorNotAvailable;
}
