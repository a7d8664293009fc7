using System.Buffers.Binary;
using System.Text;

namespace Mercury.AI.Engine.Runtime;

/// <summary>One version a shared library asks of another (an entry of its <c>.gnu.version_r</c> section).</summary>
/// <param name="File">The library that must define the version, by soname (<c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (<c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Weak">VER_FLG_WEAK: the loader does not refuse the library when the version is missing.</param>
/// <param name="FlagsOffset">File offset of the entry's 16-bit <c>vna_flags</c>.</param>
internal sealed record ElfVersionNeed(string File, string Version, bool Weak, long FlagsOffset);

/// <summary>
/// Reads the symbol versions an ELF shared library needs (<c>.gnu.version_r</c>) and defines (<c>.gnu.version_d</c>):
/// what the dynamic loader compares before it accepts a library
/// (<see href="https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/symversion.html"/>).
/// ELF64 little-endian only (x86_64 and aarch64 Linux).
/// </summary>
internal static class ElfSymbolVersions
{
    private const uint VersionNeedSection = 0x6ffffffe; // SHT_GNU_verneed
    private const uint VersionDefinitionSection = 0x6ffffffd; // SHT_GNU_verdef
    public const ushort WeakFlag = 0x2; // VER_FLG_WEAK

    public static IReadOnlyList<ElfVersionNeed> ReadNeeded(string path)
    {
        var needs = new List<ElfVersionNeed>();
        using var file = File.OpenHandle(path);
        foreach (var (offset, count, strings) in Sections(file, path, VersionNeedSection))
        {
            long need = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                byte[] entry = Read(file, need, 16);
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(entry.AsSpan(2));
                string library = ReadString(file, strings + BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(4)));
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(8));
                for (int a = 0; a < auxCount; a++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    byte[] auxEntry = Read(file, aux, 16);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(auxEntry.AsSpan(4));
                    string version = ReadString(file, strings + BinaryPrimitives.ReadUInt32LittleEndian(auxEntry.AsSpan(8)));
                    needs.Add(new ElfVersionNeed(library, version, (flags & WeakFlag) != 0, aux + 4));
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(auxEntry.AsSpan(12));
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(12));
            }
        }
        return needs;
    }

    public static IReadOnlySet<string> ReadDefined(string path)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        using var file = File.OpenHandle(path);
        foreach (var (offset, count, strings) in Sections(file, path, VersionDefinitionSection))
        {
            long definition = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32;
                // the first Elf64_Verdaux (vda_name u32, vda_next u32) names the version, later ones its parents.
                byte[] entry = Read(file, definition, 20);
                long aux = definition + BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(12));
                defined.Add(ReadString(file, strings + BinaryPrimitives.ReadUInt32LittleEndian(Read(file, aux, 4))));
                definition += BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(16));
            }
        }
        return defined;
    }

    /// <summary>Each section of the type: its file offset, entry count (sh_info) and linked string table's offset.</summary>
    private static IEnumerable<(long Offset, int Count, long Strings)> Sections(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path, uint type)
    {
        byte[] header = Read(file, 0, 64);
        if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
            throw new InvalidDataException($"{path} is not an ELF file.");
        if (header[4] != 2 || header[5] != 1)
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file.");
        long sectionTable = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3A));
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3C));
        byte[] table = Read(file, sectionTable, entrySize * sectionCount);
        for (int s = 0; s < sectionCount; s++)
        {
            // Elf64_Shdr: sh_type u32 @4, sh_offset u64 @0x18, sh_link u32 @0x28, sh_info u32 @0x2C
            var section = table.AsSpan(s * entrySize, entrySize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != type) continue;
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]);
            long strings = BinaryPrimitives.ReadInt64LittleEndian(table.AsSpan(link * entrySize + 0x18));
            yield return (BinaryPrimitives.ReadInt64LittleEndian(section[0x18..]), (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x2C..]), strings);
        }
    }

    private static byte[] Read(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, int count)
    {
        byte[] buffer = new byte[count];
        if (RandomAccess.Read(file, buffer, offset) != count) throw new InvalidDataException("ELF file ends inside a header it declares.");
        return buffer;
    }

    private static string ReadString(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset)
    {
        var bytes = new List<byte>();
        byte[] chunk = new byte[64];
        for (long at = offset; ; at += chunk.Length)
        {
            int read = RandomAccess.Read(file, chunk, at);
            int end = Array.IndexOf(chunk, (byte)0, 0, read);
            bytes.AddRange(chunk.AsSpan(0, end >= 0 ? end : read).ToArray());
            if (end >= 0 || read == 0) return Encoding.ASCII.GetString(bytes.ToArray());
        }
    }
}
