namespace Lifecycle.Activities.Catalog;

/// <summary>A catalog write refused before anything was written; <see cref="Field"/> names the input at fault.</summary>
public abstract class CatalogException : Exception
{
    protected CatalogException(string? field, string problem)
        : base(field is null ? problem : $"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>The request field at fault (snake_case, with indexes: <c>presets[0].desired_instances</c>), or null.</summary>
    public string? Field { get; }

    public string Problem { get; }
}

/// <summary>Bad input: a value out of range, or a reference to something that does not exist (HTTP 400).</summary>
public sealed class CatalogInputException(string field, string problem) : CatalogException(field, problem)
{
}

/// <summary>The resource the request is about does not exist (HTTP 404).</summary>
public sealed class CatalogNotFoundException(string problem) : CatalogException(null, problem)
{
}

/// <summary>The write conflicts with what is stored: a duplicate name, a deleted template (HTTP 409).</summary>
public sealed class CatalogConflictException(string field, string problem) : CatalogException(field, problem)
{
}
