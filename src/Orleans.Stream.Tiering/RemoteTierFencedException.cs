namespace Orleans.Stream.Tiering;

/// <summary>A leader tried to change a remote manifest that a newer leader has already written.</summary>
public sealed class RemoteTierFencedException(string message) : InvalidOperationException(message);
