using System.Globalization;
using System.Text;
using Google.Protobuf;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>What a task token names: a workflow task, an activity attempt or a query task.</summary>
public sealed record TaskToken(char Kind, string Namespace, string WorkflowId, string RunId, long ScheduledEventId, long Attempt)
{
    private const char Separator = '\u001f';

    public ByteString Encode() => ByteString.CopyFromUtf8(string.Join(
        Separator,
        Kind.ToString(),
        Namespace,
        WorkflowId,
        RunId,
        ScheduledEventId.ToString(CultureInfo.InvariantCulture),
        Attempt.ToString(CultureInfo.InvariantCulture)));

    public static TaskToken Decode(ByteString token)
    {
        var parts = Encoding.UTF8.GetString(token.Span).Split(Separator);
        if (parts.Length != 6 || parts[0].Length != 1
            || !long.TryParse(parts[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var scheduled)
            || !long.TryParse(parts[5], NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempt))
        {
            throw RpcErrors.InvalidArgument("task_token: not a token this server issued");
        }

        return new TaskToken(parts[0][0], parts[1], parts[2], parts[3], scheduled, attempt);
    }
}
