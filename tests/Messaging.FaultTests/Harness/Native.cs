using System.Runtime.InteropServices;

namespace Messaging.FaultTests.Harness;

/// <summary>Signals by pid (Linux numbers): kill -9, SIGSTOP and SIGCONT of processes the tests started.</summary>
internal static class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 3) // ESRCH: already gone
                throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {errno}");
        }
    }

    /// <summary>The process state letter from /proc (R, S, T when stopped, Z...), or null when it is gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..];
            return rest[0];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
