using System.Diagnostics;
using Mercury.AI.Agents.Worker;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>Issue 14, item 6: work folders are deleted whatever they hold, and a killed host's folders are swept at start-up.</summary>
public sealed class WorkFoldersTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-work");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_tree_deeper_than_PATH_MAX_with_non_UTF8_names_and_a_read_only_folder_is_deleted()
    {
        string root = _dir.Combine("job");
        Directory.CreateDirectory(root);
        var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-c", """
            import os, sys
            os.chdir(sys.argv[1])
            for _ in range(300):  # 300 x 31 bytes: far past PATH_MAX (4096)
                os.mkdir("d" * 30); os.chdir("d" * 30)
            open("leaf", "w").write("x")
            os.chdir(sys.argv[1])
            os.mkdir(b"bad-\xff\xfe")
            open(b"bad-\xff\xfe/f\x80", "w").write("x")
            os.mkdir("ro"); open("ro/f", "w").write("x"); os.chmod("ro", 0o500)
            """, root }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!) { string err = p.StandardError.ReadToEnd(); p.WaitForExit(); Assert.True(p.ExitCode == 0, err); }

        Assert.True(WorkFolders.Delete(root));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void Start_up_sweeps_the_folders_of_dead_hosts_and_keeps_a_live_hosts()
    {
        string work = _dir.Combine("work");
        using var live = WorkFolders.Claim(work);
        Directory.CreateDirectory(live.ForJob("j-1", 1));
        string dead = Path.Combine(work, "host-dead0000000");
        Directory.CreateDirectory(Path.Combine(dead, "j-2-1", "workspace"));
        File.WriteAllText(Path.Combine(dead, ".lock"), ""); // its process is gone: nobody holds the lock

        Assert.Equal(1, WorkFolders.SweepStale(work));
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live.ForJob("j-1", 1)));
    }
}
