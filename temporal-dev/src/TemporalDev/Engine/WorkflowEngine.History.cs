using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>GetWorkflowExecutionHistory: paging, wait-for-new-event long polls and the close-event filter.</summary>
public sealed partial class WorkflowEngine
{
    private const int DefaultHistoryPageSize = 1000;

    public async Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest request, ServerCallContext context)
    {
        var deadline = PollDeadline(context);
        var pageSize = request.MaximumPageSize > 0 ? request.MaximumPageSize : DefaultHistoryPageSize;
        var (tokenRunId, from) = DecodeHistoryToken(request.NextPageToken);
        while (true)
        {
            Task changed;
            lock (gate)
            {
                var runId = string.IsNullOrEmpty(tokenRunId) ? request.Execution?.RunId : tokenRunId;
                var run = Find(request.Namespace, request.Execution?.WorkflowId ?? string.Empty, runId);
                if (request.HistoryEventFilterType == HistoryEventFilterType.CloseEvent)
                {
                    if (run.CloseEvent is { } close) return new GetWorkflowExecutionHistoryResponse { History = new History { Events = { close } } };
                    if (!request.WaitNewEvent) return new GetWorkflowExecutionHistoryResponse { History = new History() };
                }
                else if (run.Events.Count >= from)
                {
                    var page = run.Events.Skip((int)from - 1).Take(pageSize).ToList();
                    var next = from + page.Count;
                    var more = run.Events.Count >= next || (request.WaitNewEvent && run.IsOpen);
                    var response = new GetWorkflowExecutionHistoryResponse { History = new History { Events = { page } } };
                    if (more) response.NextPageToken = EncodeHistoryToken(run.RunId, next);
                    return response;
                }
                else if (!request.WaitNewEvent || !run.IsOpen)
                {
                    return new GetWorkflowExecutionHistoryResponse { History = new History() };
                }

                tokenRunId = run.RunId;
                changed = request.HistoryEventFilterType == HistoryEventFilterType.CloseEvent ? run.Closed : run.Changed.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !await Completes(changed, remaining, context.CancellationToken).ConfigureAwait(false))
            {
                return new GetWorkflowExecutionHistoryResponse { History = new History(), NextPageToken = EncodeHistoryToken(tokenRunId, from) };
            }
        }
    }

    public GetWorkflowExecutionHistoryReverseResponse GetWorkflowExecutionHistoryReverse(GetWorkflowExecutionHistoryReverseRequest request)
    {
        lock (gate)
        {
            var run = Find(request.Namespace, request.Execution?.WorkflowId ?? string.Empty, request.Execution?.RunId);
            var events = run.Events.Reverse();
            return new GetWorkflowExecutionHistoryReverseResponse { History = new History { Events = { events } } };
        }
    }

    private static async Task<bool> Completes(Task task, TimeSpan within, CancellationToken cancel)
    {
        try
        {
            await task.WaitAsync(within, cancel).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static ByteString EncodeHistoryToken(string runId, long from) =>
        ByteString.CopyFromUtf8($"{runId}/{from.ToString(CultureInfo.InvariantCulture)}");

    private static (string RunId, long From) DecodeHistoryToken(ByteString token)
    {
        if (token.IsEmpty) return (string.Empty, 1);
        var text = Encoding.UTF8.GetString(token.Span);
        var slash = text.LastIndexOf('/');
        if (slash < 0 || !long.TryParse(text[(slash + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var from) || from < 1)
        {
            throw RpcErrors.InvalidArgument("next_page_token: not a token this server issued");
        }

        return (text[..slash], from);
    }
}
