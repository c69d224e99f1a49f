"use strict";
// VS Code client for the Route language server (`leadroute lsp`).
//
// Everything language-aware (diagnostics, completion, hover, navigation,
// rename, formatting, symbols, semantic tokens, folding, code actions) lives in
// the server; this file only starts it, restarts it, and explains what to do
// when the executable cannot be started.
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.activate = activate;
exports.deactivate = deactivate;
const fs = __importStar(require("fs"));
const path = __importStar(require("path"));
const vscode = __importStar(require("vscode"));
const node_1 = require("vscode-languageclient/node");
const CLIENT_ID = "leadroute";
const CLIENT_NAME = "leadroute";
let client;
let outputChannel;
let traceChannel;
async function activate(context) {
    outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
    traceChannel = vscode.window.createOutputChannel(`${CLIENT_NAME} (trace)`);
    context.subscriptions.push(outputChannel, traceChannel);
    context.subscriptions.push(vscode.commands.registerCommand("leadroute.restartServer", async () => {
        await restartServer();
    }), vscode.workspace.onDidChangeConfiguration(async (event) => {
        if (event.affectsConfiguration("leadroute.path")) {
            await restartServer();
        }
    }));
    await startServer();
}
async function deactivate() {
    await stopServer();
}
/**
 * The configured executable: `leadroute` (looked up on PATH) by default; `~`
 * is expanded, and a relative path such as `./target/release/leadroute` is
 * taken from the first workspace folder.
 */
function serverCommand() {
    const configured = vscode.workspace
        .getConfiguration("leadroute")
        .get("path", "leadroute")
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
function hasDirectory(command) {
    return command.includes("/") || (process.platform === "win32" && command.includes("\\"));
}
/** Whether `command` names an executable file, directly or through PATH. */
function executableExists(command) {
    const extensions = process.platform === "win32"
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
            }
            catch {
                // not this one
            }
        }
    }
    return false;
}
async function startServer() {
    const command = serverCommand();
    if (!executableExists(command)) {
        reportStartFailure(command, Object.assign(new Error(`${command}: no such executable`), { code: "ENOENT" }));
        return;
    }
    const executable = { command, args: ["lsp"], transport: node_1.TransportKind.stdio };
    const serverOptions = { run: executable, debug: executable };
    const clientOptions = {
        documentSelector: [{ scheme: "file", language: "route" }],
        synchronize: {
            // Policies span files (a folder is one policy), so the server needs to
            // hear about .route files created, changed or deleted outside the editor.
            fileEvents: vscode.workspace.createFileSystemWatcher("**/*.route"),
        },
        outputChannel,
        traceOutputChannel: traceChannel,
        errorHandler: new StartupAwareErrorHandler(command),
    };
    // The client reads `leadroute.trace.server` itself (it is named after CLIENT_ID).
    const newClient = new node_1.LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client = newClient;
    try {
        await newClient.start();
    }
    catch (error) {
        client = undefined;
        reportStartFailure(command, error);
    }
}
async function stopServer() {
    const running = client;
    client = undefined;
    if (running === undefined) {
        return;
    }
    try {
        if (running.state !== node_1.State.Stopped) {
            await running.stop();
        }
    }
    catch {
        // The server may already be gone (crashed, or never started); nothing to stop.
    }
    await running.dispose().catch(() => undefined);
}
async function restartServer() {
    await stopServer();
    await startServer();
    if (client !== undefined) {
        vscode.window.setStatusBarMessage("leadroute language server restarted", 3000);
    }
}
function reportStartFailure(command, error) {
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
        }
        else if (choice === showOutput) {
            outputChannel?.show(true);
        }
    });
}
function isNotFound(error) {
    if (typeof error !== "object" || error === null) {
        return false;
    }
    const code = error.code;
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
class StartupAwareErrorHandler {
    command;
    restarts = [];
    constructor(command) {
        this.command = command;
    }
    error(error, message, count) {
        outputChannel?.appendLine(`leadroute language server error: ${error.message}${message ? ` (${JSON.stringify(message)})` : ""}`);
        if (count !== undefined && count <= 3) {
            return { action: node_1.ErrorAction.Continue };
        }
        return { action: node_1.ErrorAction.Shutdown };
    }
    closed() {
        const now = Date.now();
        this.restarts.push(now);
        this.restarts = this.restarts.filter((t) => now - t < 3 * 60 * 1000);
        if (this.restarts.length <= 4) {
            outputChannel?.appendLine("The leadroute language server stopped unexpectedly; restarting it.");
            return { action: node_1.CloseAction.Restart };
        }
        return {
            action: node_1.CloseAction.DoNotRestart,
            message: `The leadroute language server ("${this.command} lsp") stopped 5 times in the last 3 minutes ` +
                `and will not be restarted. See the "leadroute" output, then run "leadroute: Restart Language Server".`,
        };
    }
}
//# sourceMappingURL=extension.js.map