namespace Orleans.Stream.Kafka.Protocol;

/// <summary>
/// Describes a request or response of API <paramref name="apiKey"/>: the versions it exists in and those that use
/// the flexible encoding (compact strings and arrays, tagged fields). Its <see cref="KafkaFieldAttribute"/> fields,
/// in declaration order, are its wire layout; the generator writes its <c>Read</c> and <c>Write</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class KafkaMessageAttribute(short apiKey, string validVersions, string flexibleVersions) : Attribute
{
    public short ApiKey { get; } = apiKey;

    public string ValidVersions { get; } = validVersions;

    public string FlexibleVersions { get; } = flexibleVersions;
}

/// <summary>A structure nested in a message (an array element): encoded at its message's version and flexibility.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class KafkaStructAttribute : Attribute;

/// <summary>
/// A field on the wire in <paramref name="versions"/> ("3+", "0-7", "none"). <see cref="NullableVersions"/>: the
/// versions it may be null in. A tagged field (<see cref="Tag"/>, <see cref="TaggedVersions"/>) lives in the tagged
/// section of flexible versions and is written only when it is not its default.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
internal sealed class KafkaFieldAttribute(string versions) : Attribute
{
    public string Versions { get; } = versions;

    public string NullableVersions { get; set; } = "none";

    public string TaggedVersions { get; set; } = "none";

    public int Tag { get; set; } = -1;
}
