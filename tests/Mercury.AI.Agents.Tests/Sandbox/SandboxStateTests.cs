using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Sandbox;

/// <summary>Issue 14, item 11: the uid locks live in a private folder, and a planted symlink is never followed.</summary>
public sealed class SandboxStateTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-state");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_state_folder_is_created_owner_only_and_a_loosened_one_is_tightened()
    {
        string state = PrivateFolder.Ensure(_dir.Combine("state"));
        var st = Posix.LStat(state)!.Value;
        Assert.Equal(Posix.EffectiveUid, st.Uid);
        Assert.Equal(0x1C0u, st.Mode); // 0700

        Posix.Chmod(state, 0x1FF); // someone made it 0777
        PrivateFolder.Ensure(state);
        Assert.Equal(0x1C0u, Posix.LStat(state)!.Value.Mode);
    }

    [Fact]
    public void A_symlink_or_a_folder_of_another_user_is_refused_as_state_folder()
    {
        string target = _dir.Combine("elsewhere");
        Directory.CreateDirectory(target);
        string link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);
        Assert.Contains("not a directory", Assert.Throws<InvalidOperationException>(() => PrivateFolder.Ensure(link)).Message);

        if (!Posix.IsRoot) return; // only root can make a folder that belongs to someone else
        string foreign = _dir.Combine("foreign");
        Directory.CreateDirectory(foreign);
        Assert.Equal(0, Posix.Chown(foreign, 65534, 65534));
        Assert.Contains("belongs to uid 65534", Assert.Throws<InvalidOperationException>(() => PrivateFolder.Ensure(foreign)).Message);
    }

    [Fact]
    public void A_planted_lock_symlink_is_not_followed_and_its_uid_is_skipped()
    {
        string locks = PrivateFolder.Ensure(_dir.Combine("uids"));
        string victim = _dir.Combine("victim.txt");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(Path.Combine(locks, "60100.lock"), victim);
        var uids = new SandboxUids(60100, 2, locks);

        using (var lease = uids.Acquire()) Assert.Equal(60101, lease.Uid);
        Assert.Equal("precious", File.ReadAllText(victim));
        using var first = uids.Acquire();
        Assert.Throws<InvalidOperationException>(() => { using var _ = new SandboxUids(60101, 1, locks).Acquire(); }); // held
    }

    [Fact]
    public void As_root_the_default_state_folder_is_roots_own_and_closed()
    {
        if (!Posix.IsRoot) return; // a normal user's runs use user namespaces, not uids
        _ = SandboxFactory.Create(new SandboxOptions());
        var st = Posix.LStat("/run/mercury-sandbox")!.Value;
        Assert.Equal(0u, st.Uid);
        Assert.Equal(0x1C0u, st.Mode);
        Assert.False(st.IsSymlink);
        Assert.Equal(0x1C0u, Posix.LStat("/run/mercury-sandbox/uids")!.Value.Mode);
    }
}
