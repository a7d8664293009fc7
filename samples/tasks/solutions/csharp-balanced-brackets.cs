using System.Collections.Generic;

public static class Brackets
{
    public static bool IsBalanced(string s)
    {
        var open = new Stack<char>();
        foreach (char c in s)
        {
            switch (c)
            {
                case '(' or '[' or '{': open.Push(c); break;
                case ')': if (open.Count == 0 || open.Pop() != '(') return false; break;
                case ']': if (open.Count == 0 || open.Pop() != '[') return false; break;
                case '}': if (open.Count == 0 || open.Pop() != '{') return false; break;
            }
        }
        return open.Count == 0;
    }
}
