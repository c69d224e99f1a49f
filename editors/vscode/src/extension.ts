// VS Code client for the Route language server (`leadroute lsp`).
//
// Everything language-aware (diagnostics, completion, hover, navigation,
// rename, formatting, symbols, semantic tokens, folding, code actions) lives in
// the server; this file only starts it, restarts it, and explains what to do
// when the executable cannot be started.

import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  Message,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

const CLIENT_ID = "leadroute";
const CLIENT_NAME = "leadroute";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceChannel: vscode.OutputChannel | undefined;
let routeFileWatcher: vscode.FileSystemWatcher | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  traceChannel = vscode.window.createOutputChannel(`${CLIENT_NAME} (trace)`);
  // Policies span files (a folder is one policy), so the server needs to hear
  // about .route files created, changed or deleted outside the editor. One
  // watcher serves every (re)started client.
  routeFileWatcher = vscode.workspace.createFileSystemWatcher("**/*.route");
  context.subscriptions.push(outputChannel, traceChannel, routeFileWatcher);

  context.subscriptions.push(
    vscode.commands.registerCommand("leadroute.restartServer", async () => {
      await restartServer();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("leadroute.path")) {
        await restartServer();
      }
    }),
  );

  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

/**
 * The configured executable: `leadroute` (looked up on PATH) by default; `~`
 * is expanded, and a relative path such as `./target/release/leadroute` is
 * taken from the first workspace folder.
 */
function serverCommand(): string {
  const configured = vscode.workspace
    .getConfiguration("leadroute")
    .get<string>("path", "leadroute")
    .trim();
  let command = configured.length > 0 ? configured : "leadroute";
  if (command === "~" || command.startsWith("~/") || command.startsWith("~\\")) {
    const home = process.env.HOME ?? process.env.USERPROFILE ?? "";
    command = home + command.slice(1);
  }
  if (hasDirectory(command) && !path.isAbsolute(command)) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder !== undefined && folder.uri.scheme === "file") {
      command = path.join(folder.uri.fsPath, command);
    }
  }
  return command;
}

function hasDirectory(command: string): boolean {
  return command.includes("/") || (process.platform === "win32" && command.includes("\\"));
}

/** Whether `command` names an executable file, directly or through PATH. */
function executableExists(command: string): boolean {
  const extensions =
    process.platform === "win32"
      ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";").filter((e) => e.length > 0)]
      : [""];
  const candidates = hasDirectory(command)
    ? [command]
    : (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((dir) => dir.length > 0)
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    for (const extension of extensions) {
      try {
        const file = candidate + extension;
        if (fs.statSync(file).isFile()) {
          fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
          return true;
        }
      } catch {
        // not this one
      }
    }
  }
  return false;
}

async function startServer(): Promise<void> {
  const command = serverCommand();
  if (!executableExists(command)) {
    reportStartFailure(command, Object.assign(new Error(`${command}: no such executable`), { code: "ENOENT" }));
    return;
  }
  const executable = { command, args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "route" }],
    synchronize: {
      fileEvents: routeFileWatcher,
    },
    outputChannel,
    traceOutputChannel: traceChannel,
    errorHandler: new StartupAwareErrorHandler(command),
  };

  // The client reads `leadroute.trace.server` itself (it is named after CLIENT_ID).
  try {
    const newClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client = newClient;
    await newClient.start();
  } catch (error) {
    client = undefined;
    reportStartFailure(command, error);
  }
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running === undefined) {
    return;
  }
  try {
    if (running.state !== State.Stopped) {
      await running.stop();
    }
  } catch {
    // The server may already be gone (crashed, or never started); nothing to stop.
  }
  await running.dispose().catch(() => undefined);
}

async function restartServer(): Promise<void> {
  await stopServer();
  await startServer();
  if (client !== undefined) {
    vscode.window.setStatusBarMessage("leadroute language server restarted", 3000);
  }
}

function reportStartFailure(command: string, error: unknown): void {
  const detail = error instanceof Error ? error.message : String(error);
  outputChannel?.appendLine(`Could not start "${command} lsp": ${detail}`);
  const notFound = isNotFound(error);
  const message = notFound
    ? `The leadroute executable "${command}" was not found (or is not executable), so Route files ` +
      `get syntax highlighting only. Install leadroute (\`cargo install --path .\` in the leadroute ` +
      `repository) or set "leadroute.path" to the full path of the executable.`
    : `The leadroute language server ("${command} lsp") could not be started: ${detail}`;
  const openSettings = "Open settings";
  const showOutput = "Show output";
  void vscode.window.showErrorMessage(message, openSettings, showOutput).then((choice) => {
    if (choice === openSettings) {
      void vscode.commands.executeCommand("workbench.action.openSettings", "leadroute.path");
    } else if (choice === showOutput) {
      outputChannel?.show(true);
    }
  });
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== "object" || error === null) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT" || code === "EACCES") {
    return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /ENOENT|EACCES|not found|cannot find|Launching server using command/i.test(message);
}

/**
 * The default handler restarts a crashing server up to five times in three
 * minutes; that is right for a crash, but it should not hide a server that
 * never came up. Keep the default behaviour and make sure the reason shows.
 */
class StartupAwareErrorHandler implements ErrorHandler {
  private restarts: number[] = [];

  constructor(private readonly command: string) {}

  error(error: Error, message: Message | undefined, count: number | undefined): ErrorHandlerResult {
    outputChannel?.appendLine(
      `leadroute language server error: ${error.message}${message ? ` (${JSON.stringify(message)})` : ""}`,
    );
    if (count !== undefined && count <= 3) {
      return { action: ErrorAction.Continue };
    }
    return { action: ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts.push(now);
    this.restarts = this.restarts.filter((t) => now - t < 3 * 60 * 1000);
    if (this.restarts.length <= 4) {
      outputChannel?.appendLine("The leadroute language server stopped unexpectedly; restarting it.");
      return { action: CloseAction.Restart };
    }
    return {
      action: CloseAction.DoNotRestart,
      message:
        `The leadroute language server ("${this.command} lsp") stopped 5 times in the last 3 minutes ` +
        `and will not be restarted. See the "leadroute" output, then run "leadroute: Restart Language Server".`,
    };
  }
}
