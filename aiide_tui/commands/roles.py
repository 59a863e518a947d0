"""`aiide roles`: which model serves each role, and what each role's server offers."""

from __future__ import annotations

import click


@click.command("roles")
@click.argument("action", required=False, type=click.Choice(["show", "servers"]), default="show")
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False),
    help="Project folder whose config applies (default: the project you are in).",
)
def command(action: str, project: str | None) -> None:
    """Show the roles (`aiide roles`), or list each role server's models (`aiide roles servers`)."""
    import asyncio

    from aiide_tui.commands import load_settings
    from aiide_tui.errors import AiideError
    from aiide_tui.workspace.git import project_at

    try:
        config = load_settings(project_at(project))
        lines = asyncio.run(_roles(config) if action == "show" else _servers(config))
    except AiideError as error:
        raise click.ClickException(error.message) from error
    for line in lines:
        click.echo(line)


async def _roles(config) -> list[str]:  # type: ignore[no-untyped-def]
    from aiide_tui.llm.health import role_statuses

    statuses = await role_statuses(config)
    lines = [status.line for status in statuses]
    if not any(status.role == "draft" for status in statuses):
        lines.append("draft: none ([models.draft] names a speculative draft for the fim server)")
    return lines


async def _servers(config) -> list[str]:  # type: ignore[no-untyped-def]
    """Each distinct server named by a role, once, with the models it serves."""
    from aiide_tui.errors import AiideError
    from aiide_tui.llm.registry import provider_for_role
    from aiide_tui.llm.roles import resolve_roles

    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for role in resolve_roles(config).values():
        key = (role.provider, role.base_url or role.model)  # local ones have no address
        if key in seen:
            continue
        seen.add(key)
        where = f"at {role.base_url}" if role.base_url else "(built in: aiide runs it)"
        lines.append(f"{role.provider} {where}:")
        provider = provider_for_role(role)
        try:
            models = await provider.list_models()
            lines.extend(f"  {info.name}" for info in models)
        except AiideError as error:
            lines.append(f"  {error.message}")
        finally:
            await provider.aclose()
    return lines
