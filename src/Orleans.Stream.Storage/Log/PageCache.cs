using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// Gives a file's flushed pages back to the kernel (posix_fadvise DONTNEED; Linux only, elsewhere nothing). Appends
/// then write into pages the kernel just freed and hands out again at once, instead of fresh ones: on a VM whose
/// host reclaims the guest's free memory (free page reporting), a fresh page costs a host fault on first touch, and
/// writing new bytes into the page cache was measured at 441 MB/s of kernel CPU against 2.7 GB/s into recycled pages.
/// </summary>
internal static partial class PageCache
{
    private const int DontNeed = 4; // POSIX_FADV_DONTNEED on Linux
    private const long PageMask = 4095;

    /// <summary>Drops the clean pages of [<paramref name="from"/>, <paramref name="to"/>) rounded down to whole pages; the new start.</summary>
    public static long Drop(SafeFileHandle file, long from, long to)
    {
        to &= ~PageMask;
        if (to <= from || !OperatingSystem.IsLinux())
        {
            return from;
        }

        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);

            // Advice only: a failure leaves the pages cached, which costs memory, never data.
            _ = Fadvise((int)file.DangerousGetHandle(), from, to - from, DontNeed);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        return to;
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int fd, long offset, long length, int advice);
}
