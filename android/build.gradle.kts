// The Android library (AAR) of dram: the same Kotlin sources as the desktop JVM build
// (bindings/kotlin/src/main/kotlin), Android-only helpers (src/main/kotlin), and the native
// libraries that build-native.sh puts in src/main/jniLibs/<abi>/libdram_jni.so.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

android {
    namespace = "dev.dram"
    compileSdk = 35

    defaultConfig {
        minSdk = 21
        // Keeps DramNative's native methods and the exception classes Rust throws by name.
        consumerProguardFiles("consumer-rules.pro")
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    sourceSets {
        getByName("main") {
            kotlin.srcDirs("../bindings/kotlin/src/main/kotlin", "src/main/kotlin")
            jniLibs.srcDirs("src/main/jniLibs")
        }
        // Instrumented tests (connectedAndroidTest) read the shared test vectors as assets.
        getByName("androidTest") {
            kotlin.srcDirs("src/androidTest/kotlin")
            assets.srcDirs("../tests/vectors")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs {
            // Store the .so files uncompressed and page-aligned in the APK (16 KB alignment
            // with AGP 8.5.1+), so they are mapped in place rather than extracted.
            useLegacyPackaging = false
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    androidTestImplementation("androidx.test:runner:1.6.2")
    androidTestImplementation("androidx.test.ext:junit:1.2.1")
}
