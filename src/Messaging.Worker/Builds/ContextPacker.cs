using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Messaging.Worker.Builds;

/// <summary>A context packed for the engine: the tar, and a digest of what is in it (names, types, modes, links, contents).</summary>
public sealed record PackedContext(byte[] Tar, string ContentDigest, long ContentBytes, int Entries);

/// <summary>Why a context directory cannot be sent; nothing was built.</summary>
public sealed class ContextRefusedException(string message) : Exception(message);

/// <summary>
/// Packs a context directory into the tar stream the Engine API's <c>/build</c> takes, as the Docker CLI would, but
/// refusing what the operator's directory must not hold: a symlink whose target is absolute or resolves outside the
/// directory, a device, fifo or socket, and more than the size cap. <c>.dockerignore</c> is honoured (the Dockerfile
/// and <c>.dockerignore</c> themselves are always sent, as the CLI does). Each file's type comes from the runtime's own
/// <c>lstat</c> (through <see cref="TarWriter"/>), so a fifo is classified without being opened. Entries are written in
/// name order with a fixed time and owner, so the same content gives the same digest and the same build cache keys.
/// </summary>
public static class ContextPacker
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static PackedContext Pack(string directory, string dockerfile, long maxBytes)
    {
        if (!Directory.Exists(directory))
            throw new ContextRefusedException("The context directory does not exist on the worker.");
        // The operator may point at a symlinked directory; everything inside must stay within its real path.
        var root = Path.TrimEndingDirectorySeparator(new DirectoryInfo(directory).ResolveLinkTarget(true)?.FullName ?? Path.GetFullPath(directory));
        dockerfile = dockerfile.Replace('\\', '/').TrimStart('/');
        var ignore = ReadIgnore(root);

        var tar = new MemoryStream();
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var count = 0;
        var sawDockerfile = false;
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (info, relative) in Walk(root, "", ignore, dockerfile))
            {
                // Counted before anything is read: an oversized file is refused without being loaded.
                if (info is FileInfo { LinkTarget: null } file && (bytes += file.Length) > maxBytes)
                    throw new ContextRefusedException($"The context is larger than its cap of {maxBytes} bytes.");
                var entry = Classify(info, relative, root);
                byte[] data = [];
                if (entry.EntryType == TarEntryType.RegularFile)
                {
                    data = ReadAll(entry.DataStream);
                    sawDockerfile |= relative == dockerfile;
                }
                var normal = new PaxTarEntry(entry.EntryType, entry.EntryType == TarEntryType.Directory ? relative + "/" : relative)
                {
                    Mode = entry.Mode, ModificationTime = FixedTime, Uid = 0, Gid = 0,
                };
                if (entry.EntryType == TarEntryType.SymbolicLink)
                    normal.LinkName = entry.LinkName;
                if (data.Length > 0)
                    normal.DataStream = new MemoryStream(data);
                writer.WriteEntry(normal);
                digest.AppendData(Encoding.UTF8.GetBytes($"{normal.Name}\0{(char)entry.EntryType}\0{(int)entry.Mode}\0{entry.LinkName}\0"));
                digest.AppendData(SHA256.HashData(data));
                count++;
            }
        }
        if (!sawDockerfile)
            throw new ContextRefusedException($"The context has no regular file '{dockerfile}'.");
        return new PackedContext(tar.ToArray(), Convert.ToHexStringLower(digest.GetHashAndReset()), bytes, count);
    }

    private static DockerIgnore ReadIgnore(string root)
    {
        var file = new FileInfo(Path.Combine(root, ".dockerignore"));
        if (!file.Exists)
            return DockerIgnore.Empty;
        if (file.LinkTarget is not null || file.Length > 64 * 1024)
            throw new ContextRefusedException(".dockerignore must be a regular file of at most 64 KiB.");
        return new DockerIgnore(File.ReadAllLines(file.FullName));
    }

    // Depth first, in ordinal name order; an ignored directory is skipped unless a '!' line might take something back.
    private static IEnumerable<(FileSystemInfo Info, string Relative)> Walk(string directory, string relativeDirectory, DockerIgnore ignore, string dockerfile)
    {
        foreach (var info in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var relative = relativeDirectory.Length == 0 ? info.Name : relativeDirectory + "/" + info.Name;
            var kept = relative == dockerfile || relative == ".dockerignore" || !ignore.IsIgnored(relative);
            var isRealDirectory = info is DirectoryInfo && info.LinkTarget is null;
            if (kept)
                yield return (info, relative);
            if (isRealDirectory && (kept || ignore.HasExclusions || dockerfile.StartsWith(relative + "/", StringComparison.Ordinal)))
                foreach (var inner in Walk(info.FullName, relative, ignore, dockerfile))
                    yield return inner;
        }
    }

    /// <summary>The entry the runtime makes of the path (its lstat type), refused unless a file, directory or contained symlink.</summary>
    private static TarEntry Classify(FileSystemInfo info, string relative, string root)
    {
        var scratch = new MemoryStream();
        try
        {
            using (var probe = new TarWriter(scratch, TarEntryFormat.Pax, leaveOpen: true))
                probe.WriteEntry(info.FullName, relative);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or InvalidOperationException)
        {
            // A socket (no tar type) or a file the worker may not read.
            throw new ContextRefusedException($"'{relative}' cannot be packed: {e.GetType().Name}.");
        }
        scratch.Position = 0;
        var entry = new TarReader(scratch).GetNextEntry(copyData: true)
            ?? throw new ContextRefusedException($"'{relative}' cannot be packed.");
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.Directory:
                return entry;
            case TarEntryType.SymbolicLink:
                CheckLink(info, relative, entry.LinkName, root);
                return entry;
            default:
                throw new ContextRefusedException($"'{relative}' is a {entry.EntryType}: only files, directories and symlinks inside the context are sent.");
        }
    }

    private static void CheckLink(FileSystemInfo info, string relative, string target, string root)
    {
        if (Path.IsPathRooted(target))
            throw new ContextRefusedException($"'{relative}' is a symlink to an absolute path; symlinks must stay inside the context.");
        var lexical = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(info.FullName)!, target));
        // Through other symlinks too: the final target (when it exists) must also be inside.
        var final = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        foreach (var path in (string?[])[lexical, final])
        {
            if (path is not null && path != root && !path.StartsWith(root + "/", StringComparison.Ordinal))
                throw new ContextRefusedException($"'{relative}' is a symlink leaving the context.");
        }
    }

    private static byte[] ReadAll(Stream? stream)
    {
        if (stream is null)
            return [];
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
