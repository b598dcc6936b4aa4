using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Orleans.Stream.Broker.Tests.Unit;

/// <summary>Batch bytes on the wire: what is sent arrives intact, and a leased buffer goes back exactly once, after the write.</summary>
public sealed class BatchPayloadCodecTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void A_leased_fetch_buffer_is_released_once_written_and_arrives_intact_in_a_buffer_of_its_own()
    {
        byte[] bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        var lease = new CountingLease();
        var response = new FetchResponse(ErrorCode.None, BatchPayload.Lease(bytes, lease), 10, 0, 12, null);

        byte[] wire = Serializer.SerializeToArray(response);
        Assert.Equal(1, lease.Disposals);

        FetchResponse received = Serializer.Deserialize<FetchResponse>(wire);
        Assert.Equal(bytes, received.Batches.Memory.ToArray());
        Assert.Equal((10L, 0L, 12L), (received.HighWatermark, received.LogStartOffset, received.LogEndOffset));
        received.Batches.Release();
        Assert.Equal(1, lease.Disposals); // the receiver's copy is its own; releasing it leaves the sender's lease alone

        // Written a second time, a released lease fails rather than send bytes its buffer may hold for someone else.
        Assert.Throws<InvalidOperationException>(() => Serializer.SerializeToArray(response));
        Assert.Equal(1, lease.Disposals);
    }

    [Fact]
    public void A_borrowed_produce_buffer_stays_with_its_sender()
    {
        byte[] bytes = [1, 2, 3, 4, 5];
        var request = new ProduceRequest(new BatchPayload(bytes), Acks.All);

        ProduceRequest received = Serializer.Deserialize<ProduceRequest>(Serializer.SerializeToArray(request));

        Assert.Equal(bytes, received.Batches.Memory.ToArray());
        Assert.Equal(Acks.All, received.Acks);
        received.Batches.Release();
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, bytes); // the sender's memory is untouched by the receiver's release
    }

    [Fact]
    public void A_received_payload_released_twice_goes_back_to_the_pool_once()
    {
        // An unusual size (a bucket of its own), so no other test's buffers mix in.
        byte[] bytes = new byte[3_000_001];
        ProduceRequest received = Serializer.Deserialize<ProduceRequest>(Serializer.SerializeToArray(new ProduceRequest(new BatchPayload(bytes), Acks.All)));

        received.Batches.Release();
        received.Batches.Release();

        // Returned twice, the same array would be handed to two renters at once.
        byte[] first = System.Buffers.ArrayPool<byte>.Shared.Rent(3_000_001);
        byte[] second = System.Buffers.ArrayPool<byte>.Shared.Rent(3_000_001);
        Assert.NotSame(first, second);
        System.Buffers.ArrayPool<byte>.Shared.Return(first);
        System.Buffers.ArrayPool<byte>.Shared.Return(second);
    }

    private sealed class CountingLease : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
