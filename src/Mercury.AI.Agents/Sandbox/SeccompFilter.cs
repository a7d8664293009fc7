using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// The seccomp filter of every bubblewrap run, as the classic-BPF program bwrap loads with <c>--seccomp FD</c>
/// (seccomp(2), struct seccomp_data: nr at offset 0, arch at 4, args[i] at 16 + 8i). It denies what sandboxed code
/// has no business doing and what widens the kernel's attack surface: new namespaces (unshare, setns, clone with
/// CLONE_NEW*), mounts, ptrace and cross-process memory access, keyrings, bpf, perf, userfaultfd, io_uring, module
/// loading, kexec, reboot, clocks, swap, and terminal input injection (TIOCSTI). clone3 answers ENOSYS: its flags
/// live in memory a filter cannot read, and glibc then falls back to clone, whose flags it can. Syscalls of another
/// ABI (x32, i386 on x86_64) are refused outright, so the numbers below cannot be sidestepped.
/// </summary>
internal static class SeccompFilter
{
    private const uint AuditArchX86_64 = 0xC000003E, AuditArchAarch64 = 0xC00000B7;
    private const uint X32SyscallBit = 0x40000000;
    private const uint RetAllow = 0x7FFF0000, RetErrno = 0x00050000;
    private const uint EPERM = 1, ENOSYS = 38;
    private const uint NamespaceFlags = 0x7E020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
    private const uint TIOCSTI = 0x5412, TIOCLINUX = 0x541C;

    private sealed record Table(uint Arch, bool HasX32, uint CloneNr, uint Clone3Nr, uint IoctlNr, uint[] Denied, uint[] Unavailable);

    // Numbers from asm/unistd_64.h (x86_64) and asm-generic/unistd.h (aarch64).
    private static readonly Table X86_64 = new(AuditArchX86_64, true, CloneNr: 56, Clone3Nr: 435, IoctlNr: 16,
        Denied: [101 /*ptrace*/, 103 /*syslog*/, 153 /*vhangup*/, 155 /*pivot_root*/, 159 /*adjtimex*/, 161 /*chroot*/,
            163 /*acct*/, 164 /*settimeofday*/, 165 /*mount*/, 166 /*umount2*/, 167 /*swapon*/, 168 /*swapoff*/, 169 /*reboot*/,
            172 /*iopl*/, 173 /*ioperm*/, 175 /*init_module*/, 176 /*delete_module*/, 179 /*quotactl*/, 212 /*lookup_dcookie*/,
            227 /*clock_settime*/, 246 /*kexec_load*/, 248 /*add_key*/, 249 /*request_key*/, 250 /*keyctl*/, 272 /*unshare*/,
            298 /*perf_event_open*/, 303 /*name_to_handle_at*/, 304 /*open_by_handle_at*/, 305 /*clock_adjtime*/, 308 /*setns*/,
            310 /*process_vm_readv*/, 311 /*process_vm_writev*/, 313 /*finit_module*/, 320 /*kexec_file_load*/, 321 /*bpf*/,
            323 /*userfaultfd*/, 428 /*open_tree*/, 429 /*move_mount*/, 430 /*fsopen*/, 431 /*fsconfig*/, 432 /*fsmount*/,
            433 /*fspick*/, 442 /*mount_setattr*/],
        Unavailable: [425, 426, 427 /*io_uring_*/]);

    private static readonly Table Aarch64 = new(AuditArchAarch64, false, CloneNr: 220, Clone3Nr: 435, IoctlNr: 29,
        Denied: [117 /*ptrace*/, 116 /*syslog*/, 58 /*vhangup*/, 41 /*pivot_root*/, 171 /*adjtimex*/, 51 /*chroot*/,
            89 /*acct*/, 170 /*settimeofday*/, 40 /*mount*/, 39 /*umount2*/, 224 /*swapon*/, 225 /*swapoff*/, 142 /*reboot*/,
            105 /*init_module*/, 106 /*delete_module*/, 60 /*quotactl*/, 18 /*lookup_dcookie*/, 112 /*clock_settime*/,
            104 /*kexec_load*/, 217 /*add_key*/, 218 /*request_key*/, 219 /*keyctl*/, 97 /*unshare*/, 241 /*perf_event_open*/,
            264 /*name_to_handle_at*/, 265 /*open_by_handle_at*/, 266 /*clock_adjtime*/, 268 /*setns*/,
            270 /*process_vm_readv*/, 271 /*process_vm_writev*/, 273 /*finit_module*/, 294 /*kexec_file_load*/, 280 /*bpf*/,
            282 /*userfaultfd*/, 428, 429, 430, 431, 432, 433 /*new mount API*/, 442 /*mount_setattr*/],
        Unavailable: [425, 426, 427]);

    /// <summary>The filter for this machine's architecture; null where there is no table for it.</summary>
    public static byte[]? ForCurrentArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => Build(X86_64),
        Architecture.Arm64 => Build(Aarch64),
        _ => null,
    };

    /// <summary>Names the kinds of calls denied, for the start-up description.</summary>
    public const string Summary = "seccomp (no namespaces, mounts, ptrace, keyrings, bpf, perf, io_uring, modules)";

    private static byte[] Build(Table t)
    {
        var p = new Program();
        p.Load(4);                                        // arch
        p.JumpIfEqual(t.Arch, null, "deny");              // another ABI: refuse everything
        p.Load(0);                                        // syscall number
        if (t.HasX32) p.JumpIfGreaterOrEqual(X32SyscallBit, "deny", null);
        foreach (uint nr in t.Denied) p.JumpIfEqual(nr, "deny", null);
        foreach (uint nr in t.Unavailable.Append(t.Clone3Nr)) p.JumpIfEqual(nr, "enosys", null);
        p.JumpIfEqual(t.CloneNr, "clone", null);
        p.JumpIfEqual(t.IoctlNr, "ioctl", null);
        p.Return(RetAllow);
        p.Label("clone");
        p.Load(16);                                       // low half of args[0], the clone flags
        p.JumpIfAnySet(NamespaceFlags, "deny", null);
        p.Return(RetAllow);
        p.Label("ioctl");
        p.Load(24);                                       // low half of args[1]: the kernel reads the request as 32 bits
        p.JumpIfEqual(TIOCSTI, "deny", null);
        p.JumpIfEqual(TIOCLINUX, "deny", null);
        p.Return(RetAllow);
        p.Label("deny");
        p.Return(RetErrno | EPERM);
        p.Label("enosys");
        p.Return(RetErrno | ENOSYS);
        return p.Assemble();
    }

    /// <summary>A tiny assembler for classic BPF with forward jumps to labels.</summary>
    private sealed class Program
    {
        private const ushort LdWAbs = 0x20, JeqK = 0x15, JgeK = 0x35, JsetK = 0x45, RetK = 0x06;
        private readonly List<(ushort Code, string? True, string? False, uint K)> _code = [];
        private readonly Dictionary<string, int> _labels = [];

        public void Load(uint offset) => _code.Add((LdWAbs, null, null, offset));
        public void JumpIfEqual(uint k, string? whenTrue, string? whenFalse) => _code.Add((JeqK, whenTrue, whenFalse, k));
        public void JumpIfGreaterOrEqual(uint k, string? whenTrue, string? whenFalse) => _code.Add((JgeK, whenTrue, whenFalse, k));
        public void JumpIfAnySet(uint k, string? whenTrue, string? whenFalse) => _code.Add((JsetK, whenTrue, whenFalse, k));
        public void Return(uint k) => _code.Add((RetK, null, null, k));
        public void Label(string name) => _labels[name] = _code.Count;

        public byte[] Assemble()
        {
            var bytes = new byte[_code.Count * 8];
            for (int pc = 0; pc < _code.Count; pc++)
            {
                var (code, t, f, k) = _code[pc];
                var span = bytes.AsSpan(pc * 8, 8);
                BinaryPrimitives.WriteUInt16LittleEndian(span, code);
                span[2] = Offset(pc, t);
                span[3] = Offset(pc, f);
                BinaryPrimitives.WriteUInt32LittleEndian(span[4..], k);
            }
            return bytes;
        }

        // A jump is relative to the next instruction; null means "fall through".
        private byte Offset(int pc, string? label)
        {
            if (label is null) return 0;
            int distance = _labels[label] - (pc + 1);
            if (distance is < 0 or > 255) throw new InvalidOperationException($"BPF jump to {label} out of range ({distance})");
            return (byte)distance;
        }
    }
}
