using System.Runtime.InteropServices;

namespace Orleans.Stream.Storage.Tests.Support;

/// <summary>Which pages of a file the kernel's page cache holds (Linux: mincore over a read-only mapping, which faults nothing in).</summary>
internal static partial class PageResidency
{
    public const int PageSize = 4096;

    /// <summary>Cached pages among the whole pages of [<paramref name="from"/>, <paramref name="to"/>) (both page-aligned).</summary>
    public static int CachedPages(string path, long from, long to)
    {
        Assert.True(from % PageSize == 0 && to % PageSize == 0 && to > from, $"[{from}, {to}) is not a page range");
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        nint address = Mmap(0, (nuint)(to - from), ProtRead, MapShared, (int)file.DangerousGetHandle(), from);
        Assert.True(address != -1, $"mmap of {path} failed (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            byte[] residency = new byte[(to - from) / PageSize];
            Assert.True(Mincore(address, (nuint)(to - from), residency) == 0, $"mincore failed (errno {Marshal.GetLastPInvokeError()})");
            int cached = 0;
            foreach (byte page in residency)
            {
                cached += page & 1;
            }

            return cached;
        }
        finally
        {
            _ = Munmap(address, (nuint)(to - from));
        }
    }

    private const int ProtRead = 1;
    private const int MapShared = 1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(nint address, nuint length, byte[] residency);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
