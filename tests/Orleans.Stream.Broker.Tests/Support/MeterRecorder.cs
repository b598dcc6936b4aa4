using System.Diagnostics.Metrics;

namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>
/// Listens to one meter's instruments, as an exporter would, and keeps every measurement with its tags. Tests run in
/// parallel and the instruments are process-wide, so queries filter by a tag only the test's own topic or group has.
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public MeterRecorder(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The sum of a counter's increments that carry <paramref name="tag"/> = <paramref name="value"/>.</summary>
    public double Sum(string instrument, string tag, object value)
    {
        double sum = 0;
        lock (_measurements)
        {
            foreach ((string name, double measured, Dictionary<string, object?> tags) in _measurements)
            {
                if (name == instrument && Equals(tags.GetValueOrDefault(tag), value))
                {
                    sum += measured;
                }
            }
        }

        return sum;
    }

    /// <summary>Reads the observable instruments now; the value of <paramref name="instrument"/> whose tags include all of <paramref name="match"/>, or null.</summary>
    public double? Observe(string instrument, params (string Tag, object Value)[] match)
    {
        lock (_measurements)
        {
            _measurements.RemoveAll(m => m.Instrument == instrument);
        }

        _listener.RecordObservableInstruments();
        lock (_measurements)
        {
            foreach ((string name, double measured, Dictionary<string, object?> tags) in _measurements)
            {
                if (name == instrument && match.All(m => Equals(tags.GetValueOrDefault(m.Tag), m.Value)))
                {
                    return measured;
                }
            }
        }

        return null;
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(tags.Length);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }
}
