namespace Orleans.Stream;

/// <summary>Kafka's topic name rule: 1 to 249 characters from <c>[a-zA-Z0-9._-]</c>, and not <c>.</c> or <c>..</c>.</summary>
public static class TopicName
{
    public const int MaxLength = 249;

    /// <summary>Null when <paramref name="name"/> is a valid topic name, else why it is not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name must not be empty.";
        }

        if (name.Length > MaxLength)
        {
            return $"Topic name is {name.Length} characters long; the limit is {MaxLength}.";
        }

        if (name is "." or "..")
        {
            return $"Topic name cannot be '{name}'.";
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Topic name '{name}' contains '{c}'; only ASCII letters, digits, '.', '_' and '-' are allowed.";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="OrleansStreamException"/> with <see cref="ErrorCode.InvalidTopic"/> for an invalid name.</summary>
    public static void EnsureValid(string? name)
    {
        if (Validate(name) is { } problem)
        {
            throw new OrleansStreamException(ErrorCode.InvalidTopic, problem);
        }
    }
}
