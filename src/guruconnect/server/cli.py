"""`guruconnect server` and `guruconnect admin ...`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import secrets
import sys
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth import passwords
from guruconnect.server.auth.roles import Role
from guruconnect.server.auth.tokens import hash_token, new_token
from guruconnect.server.config import ConfigError, Settings, load_settings
from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine, make_session_factory
from guruconnect.server.db.models import EnrollmentToken, User, WebSession
from guruconnect.server.db.types import utcnow
from guruconnect.server.enrollment.service import TOKEN_PREFIX


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML configuration file (or GURU_CONFIG)")
    parser.add_argument("--data-dir", help="data directory (default ./var, or GURU_DATA_DIR)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guruconnect")
    sub = parser.add_subparsers(dest="family", required=True)

    server = sub.add_parser("server", help="run the server", description="Run the server.")
    _common(server)
    server.add_argument("--bind", help="HOST:PORT to listen on (default 127.0.0.1:8443)")

    admin = sub.add_parser("admin", help="manage users", description="Manage users directly.")
    admin_sub = admin.add_subparsers(dest="action", required=True)

    create = admin_sub.add_parser(
        "create-user", help="create a user", description="Create a technician account."
    )
    _common(create)
    create.add_argument("name", help="username")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.TECHNICIAN.value)
    create.add_argument(
        "--companies",
        default="*",
        help="comma-separated companies the user may see; '*' for all (default)",
    )
    pw = create.add_mutually_exclusive_group()
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.add_argument(
        "--generate-password", action="store_true", help="generate a password and print it once"
    )

    reset = admin_sub.add_parser(
        "reset-mfa",
        help="remove a user's two-factor device",
        description="Remove a user's TOTP device and sign them out everywhere; "
        "they enroll a new device at next sign-in.",
    )
    _common(reset)
    reset.add_argument("name", help="username")

    listing = admin_sub.add_parser("list-users", help="list users", description="List users.")
    _common(listing)

    token = admin_sub.add_parser(
        "create-enrollment-token",
        help="create an agent enrollment token",
        description="Create an enrollment token and print it once (for scripted deployments).",
    )
    _common(token)
    token.add_argument("--company", required=True, help="company the agents join")
    token.add_argument("--site", default="", help="site the agents join (default: agent chooses)")
    token.add_argument("--expires-in-hours", type=int, help="expiry (default: never)")
    token.add_argument("--max-uses", type=int, help="how many agents may use it (default: any)")
    return parser


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(config_file=args.config, overrides={"data_dir": args.data_dir, **extra})


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.generate_password:
        return secrets.token_urlsafe(15), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if not sys.stdin.isatty():
        raise ConfigError("no terminal: use --password-stdin or --generate-password")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise ConfigError("passwords do not match")
    return first, False


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.effective_database_url)
    try:
        await migrate.upgrade(engine)
        async with make_session_factory(engine)() as db:
            if args.action == "list-users":
                for each in await db.scalars(select(User).order_by(User.username)):
                    mfa = "mfa" if each.totp_enabled else "no-mfa"
                    print(f"{each.username}\t{each.role}\t{mfa}\t{','.join(each.company_scope)}")
                return 0
            if args.action == "create-enrollment-token":
                print(await _create_enrollment_token(db, args))
                return 0
            user = await db.scalar(
                select(User).where(func.lower(User.username) == args.name.lower())
            )
            if args.action == "create-user":
                if user is not None:
                    print(f"error: user {args.name!r} already exists", file=sys.stderr)
                    return 1
                password, generated = _read_password(args)
                await add_user(db, args.name, password, args.role, args.companies)
                print(f"created {args.role} {args.name!r}")
                if generated:
                    print(f"password: {password}")
                return 0
            if user is None:
                print(f"error: no user {args.name!r}", file=sys.stderr)
                return 1
            user.totp_secret = None
            user.totp_enabled = False
            user.totp_last_step = 0
            await db.execute(
                update(WebSession)
                .where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            await db.commit()
            print(f"two-factor device removed for {user.username!r}; sessions revoked")
            return 0
    finally:
        await engine.dispose()


async def add_user(db: AsyncSession, name: str, password: str, role: str, companies: str) -> None:
    """What ``admin create-user`` stores (the tests create their users with it too)."""
    db.add(
        User(
            username=name,
            password_hash=passwords.hash_password(password),
            role=role,
            company_scope=[c.strip() for c in companies.split(",") if c.strip()],
        )
    )
    await db.commit()


async def _create_enrollment_token(db: AsyncSession, args: argparse.Namespace) -> str:
    for name in ("expires_in_hours", "max_uses"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    raw = new_token(TOKEN_PREFIX)
    now = utcnow()
    db.add(
        EnrollmentToken(
            token_hash=hash_token(raw),
            company=args.company,
            site=args.site,
            note="created with the admin CLI",
            expires_at=now + dt.timedelta(hours=args.expires_in_hours)
            if args.expires_in_hours
            else None,
            max_uses=args.max_uses,
        )
    )
    await db.commit()
    return raw


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.family == "server":
            from guruconnect.server.runner import serve

            serve(_settings(args, bind=args.bind))
            return 0
        return asyncio.run(_admin(args, _settings(args)))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except passwords.PasswordPolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
